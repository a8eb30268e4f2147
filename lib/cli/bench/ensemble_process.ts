/**
 * A 3- (or N-) member ensemble on loopback for the benchmark: zkd members (`main.ts start`) or
 * Apache ZooKeeper 3.8 members (QuorumPeerMain), each started by server_process.ts with its
 * own directory (zoo.cfg with the server.N lines, dataDir with myid, server.log) and client,
 * quorum and election ports. A member counts as up once `srvr` answers with a Mode: (a member
 * without a leader answers "not currently serving"). Members can be killed with SIGKILL and
 * restarted on their data.
 */

import { fourLetterWord } from "./four_letter.ts";
import { freeLoopbackPort, type ServerProcess, startApacheZk, startZkd } from "./server_process.ts";

export type EnsembleKind = "zkd" | "zk";

export interface EnsembleOptions {
  kind: EnsembleKind;
  /** Voting members (default 3). */
  size?: number;
  /** zoo.cfg keys for every member (tickTime, initLimit, syncLimit, forceSync, ...). */
  cfg: Record<string, string>;
  /** zkd: the repository root holding main.ts. */
  repoRoot: string;
  /** zkd: extra `zkd start` arguments (e.g. --log-level info). */
  zkdArgs?: readonly string[];
  /** zkd: extra `deno run` flags. */
  zkdDenoFlags?: readonly string[];
  /** ZooKeeper: JVM flags. */
  jvmFlags?: readonly string[];
  /** Keep the member directories (logs, data) after stop(). */
  keepDirs?: boolean;
  startTimeoutMs?: number;
  /** Called with every line a member prints, with its id and performance.now(). */
  onLine?: (id: number, line: string, atMs: number) => void;
}

export interface EnsembleMember {
  readonly id: number;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  /** zoo.cfg, data/ (myid, version-2), server.log */
  readonly baseDir: string;
  /** The running process, or null while killed. */
  proc: ServerProcess | null;
}

/** What `srvr` says: Mode and Zxid, or null when the member does not serve. */
export interface SrvrInfo {
  mode: string;
  zxid: bigint;
}

export async function srvr(port: number, timeoutMs = 1_000): Promise<SrvrInfo | null> {
  try {
    const reply = await fourLetterWord("127.0.0.1", port, "srvr", timeoutMs);
    const mode = /^Mode: ([\w-]+)/m.exec(reply)?.[1];
    const zxid = /^Zxid: (0x[0-9a-fA-F]+)/m.exec(reply)?.[1];
    if (mode === undefined) return null;
    return { mode, zxid: zxid === undefined ? 0n : BigInt(zxid) };
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class ServerEnsemble {
  readonly kind: EnsembleKind;
  readonly rootDir: string;
  readonly members: readonly EnsembleMember[];
  readonly #opts: EnsembleOptions;

  private constructor(opts: EnsembleOptions, rootDir: string, members: EnsembleMember[]) {
    this.kind = opts.kind;
    this.#opts = opts;
    this.rootDir = rootDir;
    this.members = members;
  }

  /** Writes every member's directory and starts them all; resolves once each answers srvr. */
  static async start(opts: EnsembleOptions): Promise<ServerEnsemble> {
    const size = opts.size ?? 3;
    const rootDir = await Deno.makeTempDir({ prefix: `zkd-bench-${opts.kind}-ensemble-` });
    const taken = new Set<number>();
    const port = () => {
      for (;;) {
        const p = freeLoopbackPort();
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
    };
    const members: EnsembleMember[] = [];
    for (let id = 1; id <= size; id++) {
      const baseDir = `${rootDir}/m${id}`;
      await Deno.mkdir(`${baseDir}/data`, { recursive: true });
      await Deno.writeTextFile(`${baseDir}/data/myid`, `${id}\n`);
      members.push({
        id,
        clientPort: port(),
        quorumPort: port(),
        electionPort: port(),
        baseDir,
        proc: null,
      });
    }
    const e = new ServerEnsemble(opts, rootDir, members);
    const started = await Promise.allSettled(members.map((m) => e.startMember(m.id)));
    const failed = started.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      await e.stop();
      throw (failed as PromiseRejectedResult).reason;
    }
    return e;
  }

  member(id: number): EnsembleMember {
    const m = this.members.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  get ports(): number[] {
    return this.members.map((m) => m.clientPort);
  }

  /** "127.0.0.1:p1,127.0.0.1:p2,..." starting at member `first` (so clients spread out). */
  connectString(first = 1): string {
    const n = this.members.length;
    const at = this.members.findIndex((m) => m.id === first);
    return Array.from({ length: n }, (_, i) => this.members[(at + i) % n])
      .map((m) => `127.0.0.1:${m.clientPort}`).join(",");
  }

  /** Process ids of the running members. */
  get pids(): number[] {
    return this.members.flatMap((m) => m.proc === null ? [] : [m.proc.pid]);
  }

  #cfg(): Record<string, string> {
    const cfg: Record<string, string> = { ...this.#opts.cfg };
    for (const m of this.members) {
      cfg[`server.${m.id}`] = `127.0.0.1:${m.quorumPort}:${m.electionPort}`;
    }
    return cfg;
  }

  /** Starts (or restarts, on its data) member `id`; resolves once its srvr has a Mode:. */
  async startMember(id: number): Promise<void> {
    const m = this.member(id);
    if (m.proc !== null) throw new Error(`member ${id} is running`);
    const onLine = this.#opts.onLine;
    const common = {
      port: m.clientPort,
      baseDir: m.baseDir,
      cfg: this.#cfg(),
      keepDir: true,
      startTimeoutMs: this.#opts.startTimeoutMs ?? 60_000,
      onLine: onLine === undefined ? undefined : (line: string, at: number) => onLine(id, line, at),
    };
    m.proc = this.kind === "zkd"
      ? await startZkd({
        ...common,
        repoRoot: this.#opts.repoRoot,
        args: this.#opts.zkdArgs,
        denoFlags: this.#opts.zkdDenoFlags,
      })
      : await startApacheZk({
        ...common,
        jvmFlags: this.#opts.jvmFlags,
        mainClass: "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      });
  }

  /**
   * SIGKILL to member `id`; resolves once it has exited, with performance.now() taken just
   * before the signal was sent.
   */
  async kill(id: number): Promise<number> {
    const m = this.member(id);
    const proc = m.proc;
    if (proc === null) throw new Error(`member ${id} is not running`);
    m.proc = null;
    const at = performance.now();
    await proc.stop(0, { signal: "SIGKILL", keepDir: true });
    return at;
  }

  /** srvr of every running member (null for those not serving or killed), by id. */
  async modes(): Promise<Map<number, SrvrInfo | null>> {
    const out = new Map<number, SrvrInfo | null>();
    const infos = await Promise.all(
      this.members.map((m) => m.proc === null ? null : srvr(m.clientPort)),
    );
    this.members.forEach((m, i) => out.set(m.id, infos[i]));
    return out;
  }

  /** The leader's id once exactly one running member says leader and a majority serves. */
  async waitForLeader(timeoutMs: number, pollMs = 50): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let last = "";
    for (;;) {
      const modes = await this.modes();
      const leaders = [...modes].filter(([, s]) => s?.mode === "leader").map(([id]) => id);
      const serving = [...modes.values()].filter((s) => s !== null).length;
      if (leaders.length === 1 && serving > this.members.length / 2) return leaders[0];
      last = [...modes].map(([id, s]) => `${id}:${s?.mode ?? "-"}`).join(" ");
      if (performance.now() > deadline) {
        throw new Error(`${this.kind} ensemble: no single leader within ${timeoutMs} ms (${last})`);
      }
      await sleep(pollMs);
    }
  }

  logTail(id: number, lines = 20): string {
    try {
      return Deno.readTextFileSync(`${this.member(id).baseDir}/server.log`).split("\n")
        .slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Stops every member (SIGTERM), and removes the directories unless keepDirs. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map(async (m) => {
      const proc = m.proc;
      m.proc = null;
      await proc?.stop(5_000, { keepDir: true });
    }));
    if (!this.#opts.keepDirs) await Deno.remove(this.rootDir, { recursive: true }).catch(() => {});
  }
}
