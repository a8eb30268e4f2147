/**
 * An open-loop load at a fixed rate (getData and setData on random leaves of a preloaded
 * tree), for measuring latency while the server does something else (a snapshot). Requests
 * are sent on schedule whether or not earlier ones were answered, so a server that stalls
 * shows the stall in the latencies of everything sent meanwhile (no coordinated omission, up
 * to a bound on requests in flight). Every reply is kept as (send time, latency), so the
 * caller can split the run into windows after the fact.
 */

import { JuteWriter } from "../../proto/jute.ts";
import { Op } from "../../proto/ops.ts";
import { openSession } from "./load.ts";
import { closePipes, openPipes } from "./pipe.ts";
import { leafPath, type TreeShape } from "./preload.ts";
import { SeededRandom } from "../../util/random.ts";

export interface PacedOptions {
  hostname: string;
  port: number;
  connections: number;
  /** Requests per second over all connections. */
  ratePerS: number;
  /** Fraction of requests that are setData (the rest are getData). */
  writeFraction: number;
  shape: TreeShape;
  value: Uint8Array;
  /** The run ends at maxDurationMs, or earlier once done() returns true (polled). */
  maxDurationMs: number;
  done?: (elapsedMs: number) => boolean;
  /** Sends are skipped (and counted) while a connection has this many in flight. */
  maxInflightPerConn?: number;
}

export interface Samples {
  /** performance.now() at send. */
  sentAtMs: Float64Array;
  latencyMs: Float32Array;
  isWrite: Uint8Array;
  count: number;
}

export interface PacedResult {
  samples: Samples;
  errors: number;
  /** Sends skipped because too many requests were in flight (the server stalled). */
  skipped: number;
  startMs: number;
  endMs: number;
}

/** A uniform number in [0, 1) from a seeded generator (lib/util/random.ts). */
function rng(seed: number): () => number {
  const r = new SeededRandom(seed);
  return () => r.nextUint32() / 4294967296;
}

function frame(op: number, path: string, value: Uint8Array): Uint8Array {
  const w = new JuteWriter(64 + path.length * 3 + value.byteLength);
  w.int(0).int(0).int(op).ustring(path);
  if (op === Op.getData) w.bool(false);
  else w.buffer(value).int(-1);
  w.patchInt(0, w.offset - 4);
  return w.toBytes();
}

export async function runPaced(o: PacedOptions): Promise<PacedResult> {
  const capacity = Math.ceil((o.ratePerS * o.maxDurationMs) / 1000 * 1.05) + 1024;
  const samples: Samples = {
    sentAtMs: new Float64Array(capacity),
    latencyMs: new Float32Array(capacity),
    isWrite: new Uint8Array(capacity),
    count: 0,
  };
  let errors = 0;
  let skipped = 0;
  const maxInflight = o.maxInflightPerConn ?? 20_000;
  const { pipes, pumps } = await openPipes(o.hostname, o.port, o.connections, (_c, r) => {
    if (r.err !== 0) errors++;
    const i = samples.count;
    if (i < capacity) {
      samples.sentAtMs[i] = r.sentAtMs;
      samples.latencyMs[i] = r.atMs - r.sentAtMs;
      samples.isWrite[i] = r.tag;
      samples.count++;
    }
  }, (h, p) => openSession(h, p, 30_000));
  const random = rng(0x2545f491);
  const startMs = performance.now();
  let sent = 0;
  let next = 0;
  try {
    for (;;) {
      const now = performance.now();
      const elapsed = now - startMs;
      if (elapsed >= o.maxDurationMs || (o.done?.(elapsed) ?? false)) break;
      const failed = pipes.find((p) => p.failure !== null);
      if (failed) throw new Error(`paced load: ${failed.failure!.message}`);
      const due = Math.floor((elapsed * o.ratePerS) / 1000);
      for (; sent < due; sent++) {
        const pipe = pipes[next];
        next = (next + 1) % pipes.length;
        if (pipe.outstanding >= maxInflight) {
          skipped++;
          continue;
        }
        const isWrite = random() < o.writeFraction;
        const path = leafPath(o.shape, Math.floor(random() * o.shape.znodes));
        pipe.send(frame(isWrite ? Op.setData : Op.getData, path, o.value), isWrite ? 1 : 0, now);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    await closePipes(pipes, pumps);
  }
  return { samples, errors, skipped, startMs, endMs: performance.now() };
}
