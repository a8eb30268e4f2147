/**
 * When was a server snapshotting? Read from its log lines as they arrive (timestamped by the
 * benchmark when it reads them), then used to split paced-load samples into "during a
 * snapshot", "just after one" and "without one".
 *
 * zkd logs once, when a snapshot is durable: `snapshot <path> at zxid 0x..: N nodes, B bytes
 * in T ms` (so it started T ms earlier). Apache ZooKeeper 3.8 logs `Snapshotting: 0x.. to
 * <path>` (FileTxnSnapLog, at the start) and `Snapshot taken in T ms` (ZooKeeperServer, at the
 * end), both at INFO.
 */

import { Histogram } from "./histogram.ts";
import type { Samples } from "./paced.ts";

export interface SnapshotInterval {
  startMs: number;
  endMs: number;
  /** Node count and file size when the server logs them (zkd). */
  nodes?: number;
  bytes?: number;
}

const ZKD_DONE = /snapshot (\S+) at zxid 0x[0-9a-f]+: (\d+) nodes, (\d+) bytes in (\d+) ms/;
const ZK_START = /Snapshotting: 0x[0-9a-f]+ to (\S+)/;
const ZK_DONE = /Snapshot taken in (\d+) ms/;

export class SnapshotLogWatcher {
  readonly intervals: SnapshotInterval[] = [];
  #zkStartMs: number | null = null;

  /** Feeds one log line read at atMs (performance.now()). */
  line(text: string, atMs: number): void {
    let m = ZKD_DONE.exec(text);
    if (m !== null) {
      this.intervals.push({
        startMs: atMs - Number(m[4]),
        endMs: atMs,
        nodes: Number(m[2]),
        bytes: Number(m[3]),
      });
      return;
    }
    if (ZK_START.test(text)) {
      this.#zkStartMs = atMs;
      return;
    }
    m = ZK_DONE.exec(text);
    if (m !== null) {
      this.intervals.push({ startMs: this.#zkStartMs ?? atMs - Number(m[1]), endMs: atMs });
      this.#zkStartMs = null;
    }
  }

  /** A snapshot has started but not finished (known only for ZooKeeper's start line). */
  get inProgress(): boolean {
    return this.#zkStartMs !== null;
  }

  /** Snapshots that ended after `sinceMs`. */
  endedSince(sinceMs: number): SnapshotInterval[] {
    return this.intervals.filter((s) => s.endMs > sinceMs);
  }
}

export interface WindowSplit {
  without: Histogram;
  during: Histogram;
  /** Sent within afterMs after a snapshot ended (GC, backlog): in neither of the others. */
  after: Histogram;
  /** Milliseconds of the run covered by snapshots. */
  snapshotMs: number;
}

/**
 * Splits samples sent in [fromMs, toMs): a request whose [send, reply] overlaps a snapshot
 * is "during"; one sent within afterMs after a snapshot's end is "after"; the rest "without".
 */
export function splitBySnapshots(
  samples: Samples,
  intervals: readonly SnapshotInterval[],
  fromMs: number,
  toMs: number,
  afterMs: number,
): WindowSplit {
  const split: WindowSplit = {
    without: new Histogram(),
    during: new Histogram(),
    after: new Histogram(),
    snapshotMs: 0,
  };
  for (const s of intervals) {
    split.snapshotMs += Math.max(0, Math.min(s.endMs, toMs) - Math.max(s.startMs, fromMs));
  }
  for (let i = 0; i < samples.count; i++) {
    const sent = samples.sentAtMs[i];
    if (sent < fromMs || sent >= toMs) continue;
    const lat = samples.latencyMs[i];
    const done = sent + lat;
    let kind: "without" | "during" | "after" = "without";
    for (const s of intervals) {
      if (sent <= s.endMs && done >= s.startMs) {
        kind = "during";
        break;
      }
      if (sent > s.endMs && sent < s.endMs + afterMs) kind = "after";
    }
    split[kind].record(lat * 1000);
  }
  return split;
}

/** p99 and max per second of the run, for the log: where do the spikes fall? */
export function perSecond(
  samples: Samples,
  fromMs: number,
  toMs: number,
): { second: number; count: number; p99Ms: number; maxMs: number }[] {
  const seconds = Math.max(0, Math.ceil((toMs - fromMs) / 1000));
  const hs = Array.from({ length: seconds }, () => new Histogram());
  for (let i = 0; i < samples.count; i++) {
    const sent = samples.sentAtMs[i];
    if (sent < fromMs || sent >= toMs) continue;
    hs[Math.floor((sent - fromMs) / 1000)].record(samples.latencyMs[i] * 1000);
  }
  return hs.map((h, second) => ({
    second,
    count: h.count,
    p99Ms: h.quantileUs(0.99) / 1000,
    maxMs: h.maxUs / 1000,
  }));
}
