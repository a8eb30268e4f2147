// Watches through the real Java client: one-shot data/exist/child watches, persistent and
// persistent-recursive watches, removal (checkWatches 17 / removeWatches 18), ACL filtering at
// delivery, and SetWatches/SetWatches2 re-arming after a reconnect. zkd must deliver exactly the
// events Apache ZooKeeper 3.8 delivers, in the same order per connection.

import {
  differentialSuite,
  expectLines,
  expectSameAsApache,
  interopTest,
} from "./support/differential.ts";
import { eventsOf } from "./support/java_probe.ts";
import assert from "node:assert/strict";

const suite = differentialSuite();

interopTest("java watches: data, exist and child watches fire once, in order", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     conn B
     use A
     exists /w1 watch
     get /w1 watch
     create /w1 a
     events wait=1
     get /w1 watch
     ls /w1 watch
     set /w1 b
     set /w1 c
     create /w1/k x
     create /w1/k2 x
     events wait=2
     use B
     exists /w1/k watch=bw
     get /w1/k watch=bw2
     ls /w1 watch
     use A
     get /w1/k watch=aw
     delete /w1/k
     events wait=4
     use B
     get /w1 watch
     ls /w1 watch
     use A
     delete /w1/k2
     delete /w1
     events wait=2
     create /w1 again
     set /w1 again2
     events`,
    (run) =>
      expectLines(run, [
        // exists on a missing node arms a watch; getData on it (NONODE) does not.
        { cmd: "exists", path: "/w1", stat: null },
        { cmd: "get", path: "/w1", rc: "NONODE" },
        { event: "NodeCreated", path: "/w1", conn: "A" },
        { cmd: "events", count: 1 },
        // Two sets, one NodeDataChanged (one-shot); two child creates, one NodeChildrenChanged.
        { event: "NodeDataChanged", path: "/w1", conn: "A" },
        { event: "NodeChildrenChanged", path: "/w1", conn: "A" },
        { cmd: "events", count: 2 },
        // A delete reaches every data/exist watcher of the node and the parent's child watch.
        { event: "NodeDeleted", path: "/w1/k", conn: "A", watcher: "aw" },
        { event: "NodeDeleted", path: "/w1/k", conn: "B", watcher: "bw" },
        { event: "NodeDeleted", path: "/w1/k", conn: "B", watcher: "bw2" },
        { event: "NodeChildrenChanged", path: "/w1", conn: "B", watcher: "default" },
        { cmd: "events", count: 4 },
        { event: "NodeChildrenChanged", path: "/w1", conn: "B" },
        { event: "NodeDeleted", path: "/w1", conn: "B" },
        { cmd: "events", count: 2 },
        // Every watch was used up: nothing more arrives.
        { cmd: "events", count: 0 },
      ]),
  );
});

interopTest("java watches: persistent and persistent-recursive (addWatch)", async () => {
  const { apache } = await expectSameAsApache(
    suite,
    `conn A
     conn B
     use A
     addwatch /pw persistent
     addwatch /rw recursive
     use B
     create /pw x
     create /pw/c x
     set /pw y
     set /pw/c y
     create /pw/c/g x
     delete /pw/c/g
     delete /pw/c
     delete /pw
     create /pw z
     create /rw x
     create /rw/c x
     set /rw/c 1
     set /rw/c 2
     create /rw/c/g x
     set /rw x
     delete /rw/c/g
     delete /rw/c
     events wait=14
     multi create /rw/m1 x | create /rw/m2 x | set /rw/m1 y | delete /rw/m2
     events wait=4`,
    (run) =>
      expectLines(run, [
        // Persistent at /pw: its own created/changed/deleted events and its children changes,
        // not the grandchildren's; it survives the node's deletion.
        { event: "NodeCreated", path: "/pw", conn: "A" },
        { event: "NodeChildrenChanged", path: "/pw", conn: "A" },
        { event: "NodeDataChanged", path: "/pw", conn: "A" },
        { event: "NodeChildrenChanged", path: "/pw", conn: "A" },
        { event: "NodeDeleted", path: "/pw", conn: "A" },
        { event: "NodeCreated", path: "/pw", conn: "A" },
        // Recursive at /rw: every descendant, one event per change, never NodeChildrenChanged.
        { event: "NodeCreated", path: "/rw", conn: "A" },
        { event: "NodeCreated", path: "/rw/c", conn: "A" },
        { event: "NodeDataChanged", path: "/rw/c", conn: "A" },
        { event: "NodeDataChanged", path: "/rw/c", conn: "A" },
        { event: "NodeCreated", path: "/rw/c/g", conn: "A" },
        { event: "NodeDataChanged", path: "/rw", conn: "A" },
        { event: "NodeDeleted", path: "/rw/c/g", conn: "A" },
        { event: "NodeDeleted", path: "/rw/c", conn: "A" },
        { cmd: "events", count: 14 },
        // A multi fires per op, in op order.
        { event: "NodeCreated", path: "/rw/m1" },
        { event: "NodeCreated", path: "/rw/m2" },
        { event: "NodeDataChanged", path: "/rw/m1" },
        { event: "NodeDeleted", path: "/rw/m2" },
        { cmd: "events", count: 4 },
      ]),
  );
  assert.ok(eventsOf(apache).every((e) => e.event !== "NodeChildrenChanged" || e.path === "/pw"));
});

interopTest("java watches: removeWatches (checkWatches 17) and removeAllWatches (18)", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     conn B
     use A
     create /rm x
     create /rm/c x
     get /rm watch=w1
     get /rm watch=w2
     ls /rm watch=w3
     exists /rm/none watch=w4
     removewatches /rm data watch=w1
     removewatches /rm data watch=w1
     removewatches /rm children watch=w1
     removewatches /rm children watch=w3
     removewatches /rm/none data watch=w4
     removewatches /rm/other any watch=w1
     events wait=3
     use B
     set /rm y
     create /rm/c2 x
     create /rm/none x
     events wait=1
     use A
     get /rm watch=w1
     ls /rm watch=w3
     removeallwatches /rm data
     events wait=1
     use B
     set /rm z
     events
     use A
     removeallwatches /rm any
     removeallwatches /rm any
     events wait=1
     use B
     create /rm/c3 x
     events
     use A
     addwatch /rm recursive
     addwatch /rm2 persistent watch=pw
     removeallwatches /rm any
     removewatches /rm2 any watch=pw
     removeallwatches /rm2 any
     events wait=2
     use B
     set /rm q
     create /rm2 x
     events
     use A
     get /rm watch=l1
     removewatches /rm data watch=l1 local
     removeallwatches /nothing any local
     removeallwatches /nothing any
     events wait=1
     raw checkwatches /nothing type=3
     raw removewatches /nothing type=3
     raw checkwatches /rm type=1
     ls /rm watch
     raw checkwatches /rm type=1
     raw checkwatches /rm type=2
     raw checkwatches /rm type=3
     raw removewatches /rm type=1
     raw removewatches /rm type=1
     raw addwatch /rm mode=7`,
    (run) =>
      expectLines(run, [
        { cmd: "removewatches", path: "/rm", type: "data", rc: "OK" },
        { cmd: "removewatches", path: "/rm", type: "data", rc: "NOWATCHER" },
        { cmd: "removewatches", path: "/rm", type: "children", rc: "NOWATCHER" },
        { cmd: "removewatches", path: "/rm", type: "children", rc: "OK" },
        { cmd: "removewatches", path: "/rm/none", rc: "OK" },
        { cmd: "removewatches", path: "/rm/other", rc: "NOWATCHER" },
        // The client makes up the *WatchRemoved events itself.
        { event: "DataWatchRemoved", path: "/rm", watcher: "w1" },
        { event: "ChildWatchRemoved", path: "/rm", watcher: "w3" },
        { event: "DataWatchRemoved", path: "/rm/none", watcher: "w4" },
        { cmd: "events", count: 3 },
        // w2 is still armed.
        { event: "NodeDataChanged", path: "/rm", watcher: "w2" },
        { cmd: "events", count: 1 },
        { cmd: "removeallwatches", path: "/rm", type: "data", rc: "OK" },
        { cmd: "removeallwatches", path: "/rm", type: "any", rc: "OK" },
        { cmd: "removeallwatches", path: "/rm", type: "any", rc: "NOWATCHER" },
        // Java 3.8 clients remove persistent watches with type Any.
        { cmd: "removeallwatches", path: "/rm", type: "any", rc: "OK" },
        { event: "PersistentWatchRemoved", path: "/rm", watcher: "default" },
        { event: "PersistentWatchRemoved", path: "/rm2", watcher: "pw" },
        { cmd: "events", count: 2 },
        // removeAllWatches really removed the server's recursive watch: no event.
        { cmd: "events", count: 0 },
        { cmd: "raw checkwatches", path: "/nothing", rc: "NOWATCHER" },
        { cmd: "raw removewatches", path: "/nothing", rc: "NOWATCHER" },
        { cmd: "raw checkwatches", path: "/rm", rc: "NOWATCHER" },
        { cmd: "raw checkwatches", path: "/rm", rc: "OK" },
        // Type 2 (Data): the server still holds the data watch of \`get /rm watch=l1\`, because
        // the client's removeWatches sent checkWatches (17), which never removes server state.
        { cmd: "raw checkwatches", path: "/rm", rc: "OK" },
        { cmd: "raw checkwatches", path: "/rm", rc: "OK" },
        { cmd: "raw removewatches", path: "/rm", rc: "OK" },
        { cmd: "raw removewatches", path: "/rm", rc: "NOWATCHER" },
        // An unknown addWatch mode.
        { cmd: "raw addwatch", path: "/rm", rc: "MARSHALLINGERROR" },
      ]),
  );
});

interopTest("java watches: events are filtered by the node's ACL at delivery", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     conn B
     addauth digest bob:secret
     create /sec x
     use A
     addwatch /sec recursive
     exists /sec/s watch
     ls /sec watch
     use B
     create /sec/s x acl=digest:bob:fyVmFCwVbTJYrznoSu1koqYEYF0=:cdrwa
     create /sec/o x
     set /sec/s y
     set /sec/o y
     delete /sec/s
     events wait=3`,
    (run) =>
      expectLines(run, [
        // A cannot read /sec/s: its NodeCreated, NodeDataChanged and NodeDeleted never reach A
        // (and the one-shot exists watch is used up silently); /sec's child watch fires, since
        // A can read /sec.
        { event: "NodeChildrenChanged", path: "/sec", conn: "A" },
        { event: "NodeCreated", path: "/sec/o", conn: "A" },
        { event: "NodeDataChanged", path: "/sec/o", conn: "A" },
        { cmd: "events", count: 3 },
      ]),
  );
});

interopTest("java watches: reconnect re-arms watches with SetWatches and catches up", async () => {
  await expectSameAsApache(
    suite,
    `conn B
     create /sw x
     create /sw/gone x
     create /sw/kept x
     conn A proxy
     get /sw watch
     get /sw/gone watch
     exists /sw/new watch
     exists /sw/new2 watch
     ls /sw watch
     get /sw/kept watch
     addwatch /swp persistent
     addwatch /swr recursive
     proxy block
     use B
     set /sw y
     delete /sw/gone
     create /sw/new x
     create /swp x
     create /swr x
     use A
     proxy unblock
     waitstate CONNECTED
     events wait=6 timeoutMs=15000
     use B
     set /swp x
     create /swr/c x
     set /sw/kept y
     create /sw/new2 x
     events wait=4`,
    (run) =>
      expectLines(run, [
        { event: "None", state: "Disconnected", conn: "A" },
        { event: "None", state: "SyncConnected", conn: "A" },
        // Catch-up from SetWatches, judged against the client's last seen zxid: a data watch on
        // a deleted node gets NodeDeleted, on a changed node NodeDataChanged; an exist watch on
        // a node now present gets NodeCreated; a child watch whose pzxid moved gets
        // NodeChildrenChanged. Persistent watches get no catch-up events.
        { event: "NodeDeleted", path: "/sw/gone", conn: "A" },
        { event: "NodeDataChanged", path: "/sw", conn: "A" },
        { event: "NodeCreated", path: "/sw/new", conn: "A" },
        { event: "NodeChildrenChanged", path: "/sw", conn: "A" },
        { cmd: "events", count: 6 },
        // Watches that had nothing to catch up were re-registered, persistent ones too
        // (SetWatches2): they fire on the next change.
        { event: "NodeDataChanged", path: "/swp", conn: "A" },
        { event: "NodeCreated", path: "/swr/c", conn: "A" },
        { event: "NodeDataChanged", path: "/sw/kept", conn: "A" },
        { event: "NodeCreated", path: "/sw/new2", conn: "A" },
        { cmd: "events", count: 4 },
      ]),
  );
});
