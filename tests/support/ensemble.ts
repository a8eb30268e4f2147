/**
 * Real ensembles on loopback for fault tests and benchmarks: N zkd processes (or Apache
 * ZooKeeper 3.8 QuorumPeerMain processes) with their own zoo.cfg, myid and dataDir.
 *
 * With `proxied: true` (zkd only) every directed quorum link A -> B goes through its own TCP
 * proxy: member A's zoo.cfg names B at the proxy's port. Cutting a proxy drops that direction
 * only (zkd links are one-way: A's messages to B travel on A's outbound connection), so tests
 * can build symmetric and one-way partitions without network namespaces.
 */

import { fourLetter, freePort, renderZooCfg } from "../interop/support/net.ts";
import { type LoggedProcess, sleep, spawnLogged, tailFile } from "../interop/support/procs.ts";
import { FAST_JVM_FLAGS, javaPath, zkClasspath } from "../interop/support/apache_zk.ts";
import { REPO_ROOT } from "../interop/support/zkd.ts";
import { LinkProxy } from "./link_proxy.ts";

export type EnsembleKind = "zkd" | "zk";

export interface EnsembleOptions {
  kind?: EnsembleKind;
  /** Voting members. */
  participants: number;
  observers?: number;
  /**
   * Members prepared but not started, for reconfig tests: their zoo.cfg lists the ensemble
   * plus themselves (ZooKeeper's procedure for a joiner); the others' configs omit them.
   */
  spares?: number;
  /** Extra zoo.cfg keys for every member. */
  cfg?: Record<string, string>;
  proxied?: boolean;
  /** JVM flags for Apache ZooKeeper members (default: small fast-starting JVM). */
  jvmFlags?: string[];
  /** Extra flags for `deno run` (zkd members), e.g. --v8-flags. */
  denoFlags?: string[];
}

export interface EnsembleMemberHandle {
  id: number;
  role: "participant" | "observer";
  spare: boolean;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  dataDir: string;
  cfgPath: string;
  logPath: string;
  proc: LoggedProcess | null;
}

export class Ensemble {
  readonly kind: EnsembleKind;
  readonly baseDir: string;
  readonly members: EnsembleMemberHandle[];
  /** proxies.get(`${from}->${to}`) */
  readonly proxies = new Map<string, LinkProxy>();
  readonly #opts: EnsembleOptions;

  private constructor(
    kind: EnsembleKind,
    baseDir: string,
    members: EnsembleMemberHandle[],
    opts: EnsembleOptions,
  ) {
    this.kind = kind;
    this.baseDir = baseDir;
    this.members = members;
    this.#opts = opts;
  }

  /** Writes configs and starts every member; resolves once a majority serves with a leader. */
  static async start(opts: EnsembleOptions): Promise<Ensemble> {
    const kind = opts.kind ?? "zkd";
    const baseDir = await Deno.makeTempDir({ prefix: `${kind}-ensemble-` });
    const members: EnsembleMemberHandle[] = [];
    const total = opts.participants + (opts.observers ?? 0);
    for (let id = 1; id <= total + (opts.spares ?? 0); id++) {
      const dataDir = `${baseDir}/m${id}`;
      await Deno.mkdir(dataDir, { recursive: true });
      await Deno.writeTextFile(`${dataDir}/myid`, `${id}\n`);
      members.push({
        id,
        role: id <= opts.participants || id > total ? "participant" : "observer",
        spare: id > total,
        clientPort: freePort(),
        quorumPort: freePort(),
        electionPort: freePort(),
        dataDir,
        cfgPath: `${baseDir}/zoo${id}.cfg`,
        logPath: `${baseDir}/m${id}.log`,
        proc: null,
      });
    }
    const e = new Ensemble(kind, baseDir, members, opts);
    if (opts.proxied) {
      if (kind !== "zkd") throw new Error("proxied ensembles are zkd only");
      for (const a of members) {
        for (const b of members) {
          if (a === b) continue;
          const proxy = new LinkProxy(b.quorumPort);
          e.proxies.set(`${a.id}->${b.id}`, proxy);
        }
      }
    }
    for (const m of members) await e.#writeCfg(m);
    await Promise.all(members.filter((m) => !m.spare).map((m) => e.startMember(m.id)));
    await e.waitForLeader(60_000);
    return e;
  }

  member(id: number): EnsembleMemberHandle {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  /** The `server.N=...` spec a reconfig uses to add member `id` (with its client port). */
  joinSpec(id: number, role: "participant" | "observer" = "participant"): string {
    const m = this.member(id);
    return `server.${id}=127.0.0.1:${m.quorumPort}:${m.electionPort}:${role};127.0.0.1:${m.clientPort}`;
  }

  /** "127.0.0.1:p1,127.0.0.1:p2,..." over the given members (default all). */
  connectString(ids?: number[]): string {
    return this.members.filter((m) => ids === undefined || ids.includes(m.id))
      .map((m) => `127.0.0.1:${m.clientPort}`).join(",");
  }

  async #writeCfg(self: EnsembleMemberHandle): Promise<void> {
    const cfg: Record<string, string> = {
      tickTime: "200",
      initLimit: "10",
      syncLimit: "5",
      dataDir: self.dataDir,
      clientPort: String(self.clientPort),
      clientPortAddress: "127.0.0.1",
      "4lw.commands.whitelist": "*",
      "admin.enableServer": "false",
      ...(self.role === "observer" ? { peerType: "observer" } : {}),
      ...(this.#opts.cfg ?? {}),
    };
    for (const m of this.members) {
      if (m.spare && m !== self) continue;
      const quorumPort = m === self
        ? m.quorumPort
        : this.proxies.get(`${self.id}->${m.id}`)?.port ?? m.quorumPort;
      cfg[`server.${m.id}`] = `127.0.0.1:${quorumPort}:${m.electionPort}` +
        (m.role === "observer" ? ":observer" : "");
    }
    await Deno.writeTextFile(self.cfgPath, renderZooCfg(cfg));
  }

  /** (Re)starts member `id` with its data kept. */
  startMember(id: number): Promise<void> {
    const m = this.member(id);
    if (m.proc !== null && !m.proc.hasExited()) throw new Error(`member ${id} is running`);
    if (this.kind === "zkd") {
      m.proc = spawnLogged([
        Deno.execPath(),
        "run",
        "--v8-flags=--no-memory-reducer",
        ...(this.#opts.denoFlags ?? []),
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        `${REPO_ROOT}/main.ts`,
        "start",
        "--config",
        m.cfgPath,
      ], { logPath: m.logPath, cwd: REPO_ROOT, env: { NO_COLOR: "1" } });
    } else {
      const cp = zkClasspath();
      const java = javaPath();
      if (!cp || !java) throw new Error("Apache ZooKeeper is not installed");
      m.proc = spawnLogged([
        java,
        ...(this.#opts.jvmFlags ?? FAST_JVM_FLAGS),
        "-Dzookeeper.admin.enableServer=false",
        "-Dzookeeper.jmx.log4j.disable=true",
        "-cp",
        cp,
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        m.cfgPath,
      ], { logPath: m.logPath, cwd: this.baseDir });
    }
    return Promise.resolve();
  }

  async kill(id: number): Promise<void> {
    const m = this.member(id);
    await m.proc?.kill();
  }

  signal(id: number, sig: "SIGSTOP" | "SIGCONT"): void {
    const m = this.member(id);
    if (m.proc === null) return;
    Deno.kill(m.proc.pid, sig);
  }

  /** Mode from srvr: "leader" | "follower" | "observer" | "standalone" | null (not serving). */
  async mode(id: number): Promise<string | null> {
    const m = this.member(id);
    if (m.proc === null || m.proc.hasExited()) return null;
    try {
      const reply = await fourLetter(m.clientPort, "srvr", 1_000);
      return /^Mode: ([\w-]+)/m.exec(reply)?.[1] ?? null;
    } catch {
      return null;
    }
  }

  /** Polls until exactly one live member says leader and a majority serve; returns its id. */
  async waitForLeader(timeoutMs: number, exclude: number[] = []): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const ids = this.members.filter((m) => !exclude.includes(m.id)).map((m) => m.id);
      const modes = await Promise.all(ids.map((id) => this.mode(id)));
      last = ids.map((id, i) => `${id}:${modes[i]}`).join(" ");
      const leaders = ids.filter((_, i) => modes[i] === "leader");
      const serving = modes.filter((x) => x !== null).length;
      if (leaders.length === 1 && serving >= Math.min(2, this.#opts.participants)) {
        return leaders[0];
      }
      await sleep(50);
    }
    const tails = await Promise.all(
      this.members.map(async (m) => `--- member ${m.id}\n${await tailFile(m.logPath, 1500)}`),
    );
    throw new Error(`no single leader within ${timeoutMs} ms (${last})\n${tails.join("\n")}`);
  }

  /** Cuts (or restores) the link from `from` to `to` (one direction). */
  cut(from: number, to: number, down = true): void {
    const p = this.proxies.get(`${from}->${to}`);
    if (p === undefined) throw new Error(`no proxy ${from}->${to} (start with proxied: true)`);
    p.setDown(down);
  }

  /** Cuts every link between `id` and the others, both directions (or heals them). */
  isolate(id: number, down = true): void {
    for (const m of this.members) {
      if (m.id === id) continue;
      this.cut(id, m.id, down);
      this.cut(m.id, id, down);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.proc?.stop(5_000)));
    for (const p of this.proxies.values()) p.close();
    if (!Deno.env.get("ZKD_KEEP_TEST_DIRS")) {
      await Deno.remove(this.baseDir, { recursive: true }).catch(() => {});
    }
  }
}
