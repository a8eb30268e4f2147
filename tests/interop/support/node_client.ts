// node-zookeeper-client 1.1.3 (npm, pinned in deno.json "imports"), run in-process through
// Deno's Node compatibility. It is the client most sensitive to server details: its xids start
// at 0, its ConnectRequest has no readOnly byte, it sends SetWatches with xid -8, and it only
// knows a subset of error codes and multi result types (an unknown one throws in its socket
// handler). Everything is wrapped in promises with timeouts, and results are normalized the same
// way ZkProbe normalizes the Java client's (zxids z1.., times "t", session owners by name).

// deno-lint-ignore-file no-explicit-any
import zookeeper from "node-zookeeper-client";
import { Buffer } from "node:buffer";

export const zk: any = zookeeper;

const OP_TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, what: string, ms = OP_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`node client: ${what} timed out after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function hex(buf: Uint8Array | undefined): string {
  if (!buf) return "";
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Shared normalization state for one scenario run (all its connections). */
export class NodeRun {
  readonly log: unknown[] = [];
  #zxids = new Map<string, string>();
  #sessions = new Map<string, string>();
  readonly conns: NodeConn[] = [];

  zxid(buf: Uint8Array): string | number {
    const h = hex(buf);
    if (/^0*$/.test(h)) return 0;
    let n = this.#zxids.get(h);
    if (!n) {
      n = `z${this.#zxids.size + 1}`;
      this.#zxids.set(h, n);
    }
    return n;
  }

  owner(buf: Uint8Array): string | number {
    const h = hex(buf);
    if (/^0*$/.test(h)) return 0;
    return this.#sessions.get(h) ?? "other";
  }

  nameSession(h: string, name: string): void {
    if (!this.#sessions.has(h)) this.#sessions.set(h, name);
  }

  stat(s: any): Record<string, unknown> | null {
    if (!s) return null;
    const time = (b: Uint8Array) => (/^0*$/.test(hex(b)) ? 0 : "t");
    return {
      czxid: this.zxid(s.czxid),
      mzxid: this.zxid(s.mzxid),
      ctime: time(s.ctime),
      mtime: time(s.mtime),
      version: s.version,
      cversion: s.cversion,
      aversion: s.aversion,
      ephemeralOwner: this.owner(s.ephemeralOwner),
      dataLength: s.dataLength,
      numChildren: s.numChildren,
      pzxid: this.zxid(s.pzxid),
    };
  }

  /** Connects a named client and waits for it to be connected. */
  async connect(
    name: string,
    connectString: string,
    sessionTimeoutMs = 10_000,
  ): Promise<NodeConn> {
    const client = zk.createClient(connectString, {
      sessionTimeout: sessionTimeoutMs,
      spinDelay: 100,
      retries: 0,
    });
    const conn = new NodeConn(this, name, client);
    this.conns.push(conn);
    await withTimeout(
      new Promise<void>((resolve) => {
        client.once("connected", () => resolve());
        client.connect();
      }),
      `connect ${name}`,
    );
    this.nameSession(hex(client.getSessionId()), name);
    this.log.push({ cmd: "conn", conn: name, timeoutMs: client.getSessionTimeout() });
    return conn;
  }

  /** Closes every client still open (best effort, bounded). */
  async closeAll(): Promise<void> {
    for (const c of this.conns) await c.close().catch(() => {});
  }

  /** Waits until at least `count` events arrived (bounded), then a short settle time. */
  async events(count = 0, timeoutMs = 5_000, settleMs = 250): Promise<void> {
    const start = Date.now();
    const total = () => this.conns.reduce((n, c) => n + c.events.length, 0);
    while (total() < count && Date.now() - start < timeoutMs) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, settleMs));
    // Per connection in name order; within a connection, arrival order.
    const conns = [...this.conns].sort((a, b) => a.name.localeCompare(b.name));
    let n = 0;
    for (const c of conns) {
      for (const e of c.events.splice(0)) {
        this.log.push(e);
        n++;
      }
    }
    this.log.push({ cmd: "events", count: n });
  }

  /** The log as comparable text: one JSON line per entry. */
  text(): string {
    return this.log.map((l) => JSON.stringify(l)).join("\n");
  }
}

function errName(e: any): string {
  if (e && typeof e.getCode === "function") return `${e.name}`;
  return `CLIENT_${e?.name ?? "Error"}`;
}

/** One node-zookeeper-client connection; each method logs one normalized line. */
export class NodeConn {
  readonly events: Record<string, unknown>[] = [];
  #closed = false;

  constructor(readonly run: NodeRun, readonly name: string, readonly client: any) {}

  watcher(label = "default"): (ev: any) => void {
    return (ev: any) => {
      this.events.push({
        event: ev.getName(),
        path: ev.getPath(),
        conn: this.name,
        watcher: label,
      });
    };
  }

  /** Calls a callback-style client method; resolves with [error, ...results]. */
  #call(method: string, args: unknown[]): Promise<any[]> {
    return withTimeout(
      new Promise((resolve) => {
        try {
          this.client[method](
            ...args,
            (err: unknown, ...rest: unknown[]) => resolve([err, ...rest]),
          );
        } catch (e) {
          resolve([e]); // client-side validation (AssertionError)
        }
      }),
      `${this.name}.${method}`,
    );
  }

  #line(cmd: string, path: string | undefined, err: any, extra: Record<string, unknown> = {}) {
    const l: Record<string, unknown> = { cmd, conn: this.name };
    if (path !== undefined) l.path = path;
    l.rc = err ? errName(err) : "OK";
    if (!err) Object.assign(l, extra);
    this.run.log.push(l);
    return l;
  }

  async create(path: string, data: Uint8Array | null, mode = 0, acls?: unknown[]) {
    const args: unknown[] = [path];
    if (data !== null) args.push(data);
    args.push(acls ?? zk.ACL.OPEN_ACL_UNSAFE, mode);
    const [err, result] = await this.#call("create", args);
    return this.#line("create", path, err, { result });
  }

  async remove(path: string, version = -1) {
    const [err] = await this.#call("remove", [path, version]);
    return this.#line("remove", path, err);
  }

  async exists(path: string, watch?: string) {
    const args: unknown[] = watch ? [path, this.watcher(watch)] : [path];
    const [err, stat] = await this.#call("exists", args);
    return this.#line("exists", path, err, { stat: this.run.stat(stat) });
  }

  async getData(path: string, watch?: string) {
    const args: unknown[] = watch ? [path, this.watcher(watch)] : [path];
    const [err, data, stat] = await this.#call("getData", args);
    return this.#line("getData", path, err, {
      data: data === null || data === undefined ? null : new TextDecoder().decode(data),
      stat: this.run.stat(stat),
    });
  }

  async setData(path: string, data: Uint8Array, version = -1) {
    const [err, stat] = await this.#call("setData", [path, data, version]);
    return this.#line("setData", path, err, { stat: this.run.stat(stat) });
  }

  async getChildren(path: string, watch?: string) {
    const args: unknown[] = watch ? [path, this.watcher(watch)] : [path];
    const [err, children, stat] = await this.#call("getChildren", args);
    return this.#line("getChildren", path, err, {
      children: children ? [...children].sort() : children,
      stat: this.run.stat(stat),
    });
  }

  async getACL(path: string) {
    const [err, acls, stat] = await this.#call("getACL", [path]);
    return this.#line("getACL", path, err, {
      acl: acls?.map((a: any) => `${a.id.scheme}:${a.id.id}:${a.permission}`),
      stat: this.run.stat(stat),
    });
  }

  async setACL(path: string, acls: unknown[], version = -1) {
    const [err, stat] = await this.#call("setACL", [path, acls, version]);
    return this.#line("setACL", path, err, { stat: this.run.stat(stat) });
  }

  async mkdirp(path: string) {
    const [err, result] = await this.#call("mkdirp", [path]);
    return this.#line("mkdirp", path, err, { result });
  }

  /** ops: ["create", path, data?, mode?] | ["check", path, version] | ["set", path, data, v] | ["remove", path, v] */
  async transaction(ops: unknown[][]) {
    const tx = this.client.transaction();
    for (const [kind, ...a] of ops) {
      if (kind === "create") tx.create(a[0], a[1] ?? undefined, zk.ACL.OPEN_ACL_UNSAFE, a[2] ?? 0);
      else if (kind === "check") tx.check(a[0], a[1]);
      else if (kind === "set") tx.setData(a[0], a[1], a[2] ?? -1);
      else if (kind === "remove") tx.remove(a[0], a[1] ?? -1);
      else throw new Error(`bad transaction op ${kind}`);
    }
    const [err, results] = await withTimeout(
      new Promise<any[]>((resolve) => tx.commit((e: unknown, r: unknown) => resolve([e, r]))),
      `${this.name}.transaction`,
    );
    const l: Record<string, unknown> = { cmd: "transaction", conn: this.name };
    l.rc = err ? errName(err) : "OK";
    l.results = (results ?? null) &&
      results.map((r: any) => {
        const o: Record<string, unknown> = { type: r.type };
        if (r.path !== undefined) o.path = r.path;
        if (r.err !== undefined) o.err = r.err;
        if (r.stat !== undefined) o.stat = this.run.stat(r.stat);
        return o;
      });
    this.run.log.push(l);
    return l;
  }

  addAuthInfo(scheme: string, auth: string): void {
    this.client.addAuthInfo(scheme, Buffer.from(auth, "utf8"));
    this.run.log.push({ cmd: "addAuthInfo", conn: this.name, scheme });
  }

  /** Closes the session; resolves once the client reports it is closed (bounded). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await withTimeout(
      new Promise<void>((resolve) => {
        this.client.once("disconnected", () => resolve());
        this.client.close();
      }),
      `${this.name}.close`,
      10_000,
    ).catch(() => {});
  }
}
