/**
 * Fills a server with a big tree fast, for the 1M-znode benchmarks: `<root>/p<i>/n<j>`,
 * `fanout` children per parent, every leaf holding the same value. Creates go in multi
 * batches (one txn of `batch` creates each; batch 1 sends plain creates), many in flight on
 * several sessions. Any failed create stops the preload.
 */

import { JuteReader, JuteWriter } from "../../proto/jute.ts";
import { Op, Perm } from "../../proto/ops.ts";
import { type CreateRequest, readMultiResults, writeRequest } from "../../proto/records.ts";
import { openSession } from "./load.ts";
import { closePipes, openPipes, type Reply } from "./pipe.ts";

export interface TreeShape {
  root: string;
  znodes: number;
  /** Leaves per parent. */
  fanout: number;
}

export interface PreloadOptions extends TreeShape {
  hostname: string;
  port: number;
  value: Uint8Array;
  /** Creates per multi (1: plain create requests). */
  batch: number;
  connections: number;
  /** Requests (multis) in flight per connection. */
  inflight: number;
  onProgress?: (created: number) => void;
}

const OPEN_ACL = [{ perms: Perm.ALL, scheme: "world", id: "anyone" }];

/** The path of leaf i (0 <= i < znodes). */
export function leafPath(shape: TreeShape, i: number): string {
  return `${shape.root}/p${Math.floor(i / shape.fanout)}/n${i % shape.fanout}`;
}

export function parentCount(shape: TreeShape): number {
  return Math.ceil(shape.znodes / shape.fanout);
}

function createOp(path: string, data: Uint8Array | null): CreateRequest {
  return { op: Op.create, path, data, acl: OPEN_ACL, flags: 0, ttlMs: 0 };
}

/** A request frame (length prefix, xid 0 to be patched) for these creates. */
function encode(creates: CreateRequest[]): Uint8Array {
  const w = new JuteWriter(256 + creates.length * 192);
  w.int(0).int(0);
  if (creates.length === 1) {
    w.int(Op.create);
    writeRequest(w, creates[0]);
  } else {
    w.int(Op.multi);
    writeRequest(w, { op: Op.multi, ops: creates });
  }
  w.patchInt(0, w.offset - 4);
  return w.toBytes();
}

function checkReply(r: Reply, n: number): void {
  if (r.err !== 0) throw new Error(`preload: create failed with error ${r.err}`);
  if (n === 1) return;
  const results = readMultiResults(new JuteReader(r.frame.subarray(16)));
  const bad = results.find((x) => x.type === Op.error && x.err !== 0);
  if (bad !== undefined || results.length !== n) {
    throw new Error(`preload: multi failed (${JSON.stringify(bad ?? results.length)})`);
  }
}

/**
 * Sends the creates produced by `next` (null when done), keeping `inflight` requests in flight
 * per connection; resolves when every one was answered.
 */
async function pipeline(
  o: PreloadOptions,
  next: () => CreateRequest[] | null,
  onDone: (n: number) => void,
): Promise<void> {
  let failure: Error | null = null;
  let finished = Promise.withResolvers<void>();
  let outstanding = 0;
  let exhausted = false;
  const { pipes, pumps } = await openPipes(
    o.hostname,
    o.port,
    o.connections,
    (conn, r) => {
      outstanding--;
      try {
        checkReply(r, r.tag);
      } catch (e) {
        failure ??= e as Error;
        finished.resolve();
        return;
      }
      onDone(r.tag);
      fill(conn);
      if (exhausted && outstanding === 0) finished.resolve();
    },
    (h, p) => openSession(h, p, 30_000),
  );
  const fill = (conn: number) => {
    const pipe = pipes[conn];
    while (!exhausted && failure === null && pipe.outstanding < o.inflight) {
      const creates = next();
      if (creates === null) {
        exhausted = true;
        break;
      }
      outstanding++;
      pipe.send(encode(creates), creates.length);
    }
  };
  try {
    for (let c = 0; c < pipes.length; c++) fill(c);
    if (exhausted && outstanding === 0) finished.resolve();
    // A connection that fails stops answering: poll for failures while waiting.
    const watchdog = setInterval(() => {
      const failed = pipes.find((p) => p.failure !== null);
      if (failed) {
        failure ??= failed.failure;
        finished.resolve();
      }
    }, 200);
    await finished.promise;
    clearInterval(watchdog);
    finished = Promise.withResolvers<void>();
    if (failure !== null) throw failure;
  } finally {
    if (failure === null) await closePipes(pipes, pumps);
    else for (const p of pipes) p.close();
  }
}

/** Creates the root, the parents and `znodes` leaves; resolves with the elapsed ms. */
export async function preloadTree(o: PreloadOptions): Promise<number> {
  const started = performance.now();
  const parents = parentCount(o);
  let created = 0;
  const progress = (n: number) => {
    const before = created;
    created += n;
    if (o.onProgress && Math.floor(created / 100_000) > Math.floor(before / 100_000)) {
      o.onProgress(created);
    }
  };
  // The root and the parents first (a leaf's parent must exist before it is sent).
  let p = -1;
  await pipeline({ ...o, connections: 1 }, () => {
    if (p === -1) {
      p = 0;
      return [createOp(o.root, null)];
    }
    if (p >= parents) return null;
    const ops: CreateRequest[] = [];
    for (; p < parents && ops.length < o.batch; p++) ops.push(createOp(`${o.root}/p${p}`, null));
    return ops;
  }, () => {});
  let i = 0;
  await pipeline(o, () => {
    if (i >= o.znodes) return null;
    const ops: CreateRequest[] = [];
    for (; i < o.znodes && ops.length < o.batch; i++) ops.push(createOp(leafPath(o, i), o.value));
    return ops;
  }, progress);
  return performance.now() - started;
}
