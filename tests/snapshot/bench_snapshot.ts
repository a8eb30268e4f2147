/**
 * Measures snapshots of a big tree (default 1M znodes with 100-byte values): build, digest,
 * serialise (per-slice times too, since slices run between requests), write + fsync + rename
 * through DenoStorage, and load in a fresh process (so its RSS is the load's alone).
 * Reports numbers; passes or fails on nothing.
 *
 *   deno run -A --v8-flags=--expose-gc tests/snapshot/bench_snapshot.ts [nodes] [valueBytes]
 */

import { newestValidSnapshot, SnapshotFileWriter } from "../../lib/snapshot/files.ts";
import { SnapshotWriter } from "../../lib/snapshot/writer.ts";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const SLICE_NODES = 1000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function mib(bytes: number): string {
  return (bytes / (1 << 20)).toFixed(0) + " MiB";
}

function rss(): string {
  gc();
  const m = Deno.memoryUsage();
  return `rss ${mib(m.rss)}, heap ${mib(m.heapUsed)}, external ${mib(m.external)}`;
}

function time<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  console.log(`${label.padEnd(28)} ${(performance.now() - t0).toFixed(0).padStart(7)} ms`);
  return out;
}

/** `nodes` znodes as 1000 parents of (nodes / 1000) children, like a service registry. */
function build(nodes: number, valueBytes: number): DataTree {
  const tree = new DataTree();
  const parents = Math.min(1000, nodes);
  let zxid = 0;
  const value = new Uint8Array(valueBytes).fill(0x61);
  for (let p = 0; p < parents; p++) {
    const txn = {
      type: "create" as const,
      path: `/service-${p}`,
      data: null,
      acl: OPEN,
      ephemeralOwner: 0n,
      parentCversion: p + 2,
    };
    tree.apply({ sessionId: 0n, cxid: 0, zxid: ++zxid, timeMs: 1_700_000_000_000, txn });
  }
  for (let i = 0; zxid < nodes; i++) {
    const p = i % parents;
    const data = value.slice();
    data[0] = i & 0xff;
    const txn = {
      type: "create" as const,
      path: `/service-${p}/member-${String(i).padStart(8, "0")}`,
      data,
      acl: OPEN,
      ephemeralOwner: 0n,
      parentCversion: Math.floor(i / parents) + 1,
    };
    tree.apply({ sessionId: 0n, cxid: 0, zxid: ++zxid, timeMs: 1_700_000_000_000 + i, txn });
  }
  return tree;
}

async function writeMode(nodes: number, valueBytes: number): Promise<void> {
  console.log(`${nodes} znodes, ${valueBytes}-byte values`);
  console.log(`start: ${rss()}`);
  const tree = time("build (apply creates)", () => build(nodes, valueBytes));
  console.log(`built: ${rss()}`);
  const digest = time("treeDigest", () => treeDigest(tree));

  // Serialise only: what the event loop pays, slice by slice.
  const sliceMs: number[] = [];
  let bytes = 0;
  time("serialise (no I/O)", () => {
    const writer = new SnapshotWriter(tree, []);
    for (;;) {
      const t0 = performance.now();
      const s = writer.nextSlice(SLICE_NODES);
      sliceMs.push(performance.now() - t0);
      if (s === null) break;
      bytes += s.byteLength;
    }
  });
  sliceMs.sort((a, b) => a - b);
  const q = (p: number) => sliceMs[Math.min(sliceMs.length - 1, Math.floor(p * sliceMs.length))];
  console.log(
    `slices of ${SLICE_NODES} nodes: ${sliceMs.length}, p50 ${q(0.5).toFixed(2)} ms, ` +
      `p99 ${q(0.99).toFixed(2)} ms, max ${sliceMs[sliceMs.length - 1].toFixed(2)} ms`,
  );
  console.log(`snapshot bytes: ${bytes} (${mib(bytes)}, ${(bytes / nodes).toFixed(0)} B/node)`);

  const dataDir = await Deno.makeTempDir({ prefix: "zkd-snapbench-" });
  const storage = new DenoStorage();
  const t0 = performance.now();
  const writer = new SnapshotWriter(tree, []);
  const file = new SnapshotFileWriter(storage, dataDir, writer.zxid);
  for (let s = writer.nextSlice(SLICE_NODES); s !== null; s = writer.nextSlice(SLICE_NODES)) {
    file.write(s);
  }
  const tWritten = performance.now();
  const path = await file.finish();
  const tDone = performance.now();
  console.log(`${"serialise + write".padEnd(28)} ${(tWritten - t0).toFixed(0).padStart(7)} ms`);
  console.log(
    `${"fsync + rename + dir fsync".padEnd(28)} ${(tDone - tWritten).toFixed(0).padStart(7)} ms`,
  );
  console.log(`after write: ${rss()}`);

  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      import.meta.filename!,
      "load",
      dataDir,
      String(digest),
    ],
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await cmd.output();
  await Deno.remove(dataDir, { recursive: true });
  console.log(`(snapshot was ${path})`);
  if (code !== 0) throw new Error(`load process exited ${code}`);
}

function loadMode(dataDir: string, digest: string): void {
  console.log(`load process start: ${rss()}`);
  const storage = new DenoStorage();
  const choice = time("load (read+verify+rebuild)", () => newestValidSnapshot(storage, dataDir));
  const tree = choice.found!.snapshot.tree;
  console.log(`loaded ${tree.nodes.size} nodes: ${rss()}`);
  const got = time("treeDigest (loaded)", () => treeDigest(tree));
  console.log(`digest ${got === BigInt(digest) ? "matches" : "DIFFERS"}`);
}

if (Deno.args[0] === "load") loadMode(Deno.args[1], Deno.args[2]);
else await writeMode(Number(Deno.args[0] ?? 1_000_000), Number(Deno.args[1] ?? 100));
