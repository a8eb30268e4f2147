/** WatchRegistry: which watchers a notification reaches, and what setWatches re-arms. */

import assert from "node:assert/strict";
import { splitSetWatches, type Watcher, WatchRegistry } from "../../lib/client/watches.ts";
import { EventType, WatcherType } from "../../lib/proto/ops.ts";

function watcher(): Watcher {
  return () => {};
}

Deno.test("materialize() fires a data watch once on NodeDataChanged", () => {
  const r = new WatchRegistry();
  const w = watcher();
  r.add("data", "/a", w);
  assert.deepEqual([...r.materialize(EventType.NodeDataChanged, "/a")], [w]);
  assert.equal(r.materialize(EventType.NodeDataChanged, "/a").size, 0);
});

Deno.test("materialize() fires exist and data watches on NodeCreated, child watches not", () => {
  const r = new WatchRegistry();
  const [e, c] = [watcher(), watcher()];
  r.add("exist", "/a", e);
  r.add("child", "/a", c);
  assert.deepEqual([...r.materialize(EventType.NodeCreated, "/a")], [e]);
  assert.deepEqual([...r.materialize(EventType.NodeChildrenChanged, "/a")], [c]);
});

Deno.test("materialize() fires data, exist and child watches on NodeDeleted", () => {
  const r = new WatchRegistry();
  const [d, c] = [watcher(), watcher()];
  r.add("data", "/a", d);
  r.add("child", "/a", c);
  assert.deepEqual(new Set(r.materialize(EventType.NodeDeleted, "/a")), new Set([d, c]));
  assert.equal(r.size, 0);
});

Deno.test("materialize() keeps persistent watches and matches recursive ones on ancestors", () => {
  const r = new WatchRegistry();
  const [p, rec, root] = [watcher(), watcher(), watcher()];
  r.add("persistent", "/a", p);
  r.add("persistentRecursive", "/a", rec);
  r.add("persistentRecursive", "/", root);
  assert.deepEqual(
    new Set(r.materialize(EventType.NodeDataChanged, "/a/b/c")),
    new Set([rec, root]),
  );
  assert.deepEqual(
    new Set(r.materialize(EventType.NodeDataChanged, "/a")),
    new Set([p, rec, root]),
  );
  // Recursive watches never see NodeChildrenChanged; persistent ones do.
  assert.deepEqual([...r.materialize(EventType.NodeChildrenChanged, "/a")], [p]);
  assert.equal(r.size, 3);
});

Deno.test("remove() drops watches of a WatcherType and reports *WatchRemoved events", () => {
  const r = new WatchRegistry();
  const [d, c] = [watcher(), watcher()];
  r.add("data", "/a", d);
  r.add("child", "/a", c);
  const removed = r.remove("/a", WatcherType.children);
  assert.deepEqual(removed.map(([w, e]) => [w, e.type]), [[c, EventType.ChildWatchRemoved]]);
  assert.ok(r.has("/a", WatcherType.data));
  assert.ok(!r.has("/a", WatcherType.children));
  assert.equal(r.remove("/a", WatcherType.any).length, 1);
  assert.equal(r.size, 0);
});

Deno.test("lists() names every watched path by kind", () => {
  const r = new WatchRegistry();
  r.add("data", "/d", watcher());
  r.add("exist", "/e", watcher());
  r.add("child", "/c", watcher());
  r.add("persistent", "/p", watcher());
  r.add("persistentRecursive", "/r", watcher());
  assert.deepEqual(r.lists(), {
    data: ["/d"],
    exist: ["/e"],
    child: ["/c"],
    persistent: ["/p"],
    persistentRecursive: ["/r"],
  });
});

Deno.test("splitSetWatches() bounds the path characters per packet", () => {
  const paths = Array.from({ length: 10 }, (_, i) => `/node-${i}`); // 7 chars each
  const batches = splitSetWatches(
    { data: paths, exist: [], child: ["/c"], persistent: [], persistentRecursive: [] },
    20,
  );
  assert.deepEqual(batches.map((b) => b.data.length + b.child.length), [2, 2, 2, 2, 3]);
  assert.deepEqual(batches.flatMap((b) => b.data), paths);
});
