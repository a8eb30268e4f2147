/**
 * Writes a fuzzy snapshot of a live tree: serialised a slice at a time, yielding to the event
 * loop between slices (requests keep flowing and keep changing the tree), flushed every few
 * MiB, then fsynced, renamed into place and the directory fsynced. Shared by the standalone
 * persistence and ensemble members.
 */

import { SnapshotFileWriter } from "../snapshot/files.ts";
import type { SnapshotSession } from "../snapshot/format.ts";
import { SnapshotWriter } from "../snapshot/writer.ts";
import type { Storage } from "../storage/storage.ts";
import type { DataTree } from "../tree/data_tree.ts";
import type { Logger } from "./log.ts";

/** Nodes serialised per event-loop turn while snapshotting (bounds the pause per turn). */
const SNAPSHOT_SLICE_NODES = 2000;

/**
 * Snapshot bytes written before they are flushed: bounds how much writeback a concurrent
 * write-ahead log fsync can be made to wait for (ext4 orders them through one journal).
 */
const SNAPSHOT_FLUSH_BYTES = 16 * 1024 * 1024;

export async function writeFuzzySnapshot(
  storage: Storage,
  dataDir: string,
  tree: DataTree,
  sessions: SnapshotSession[],
  log: Logger,
): Promise<{ path: string; zxid: number }> {
  const startedMs = Date.now();
  const writer = new SnapshotWriter(tree, sessions);
  const file = new SnapshotFileWriter(storage, dataDir, writer.zxid);
  try {
    let unflushedBytes = 0;
    for (;;) {
      const slice = writer.nextSlice(SNAPSHOT_SLICE_NODES);
      if (slice === null) break;
      file.write(slice);
      unflushedBytes += slice.byteLength;
      if (unflushedBytes >= SNAPSHOT_FLUSH_BYTES) {
        unflushedBytes = 0;
        await file.flushWritten();
      } else {
        await new Promise((r) => setTimeout(r, 0));
      }
    }
  } catch (e) {
    file.abort();
    throw e;
  }
  const path = await file.finish();
  log.info(
    `snapshot ${path} at zxid 0x${writer.zxid.toString(16)}: ${writer.nodeRecords} nodes, ` +
      `${file.size} bytes in ${Date.now() - startedMs} ms`,
  );
  return { path, zxid: writer.zxid };
}
