// Every data operation through the real Apache ZooKeeper Java client: zkd must answer exactly
// as Apache ZooKeeper 3.8 does (see support/differential.ts for how outputs are compared).

import {
  differentialSuite,
  expectLines,
  expectSameAsApache,
  interopTest,
} from "./support/differential.ts";

// TTL nodes need extendedTypesEnabled; both servers read it from zoo.cfg.
const suite = differentialSuite({ cfg: { extendedTypesEnabled: "true" } });

interopTest("java: /zookeeper system nodes look as on a fresh Apache ZooKeeper", async () => {
  // Runs first in this file, on fresh servers, so /zookeeper is untouched.
  await expectSameAsApache(
    suite,
    `conn A
     ls /
     ls2 /zookeeper
     get /zookeeper
     get /zookeeper/quota
     get /zookeeper/config
     getacl /zookeeper/config
     getacl /zookeeper
     set /zookeeper/config x
     delete /zookeeper/config
     delete /zookeeper/quota
     delete /zookeeper
     create /zookeeper/mine hello
     get /zookeeper/mine
     delete /zookeeper/mine
     count /zookeeper
     exists /zookeeper/quota`,
    (run) =>
      expectLines(run, [
        { cmd: "ls", path: "/", rc: "OK", children: ["zookeeper"] },
        // Visible cversion = 2 * persisted cversion - numChildren: 0 creates, 2 children => -2.
        {
          cmd: "ls2",
          children: ["config", "quota"],
          stat: { czxid: 0, mzxid: 0, ctime: 0, version: 0, cversion: -2, numChildren: 2 },
        },
        { cmd: "get", path: "/zookeeper", data: "" },
        { cmd: "get", path: "/zookeeper/quota", data: "" },
        // Standalone: /zookeeper/config exists, is empty, world:READ only, aversion -1.
        { cmd: "get", path: "/zookeeper/config", data: "", stat: { aversion: -1 } },
        { cmd: "getacl", acl: ["world:anyone:r"], stat: { aversion: -1 } },
        { cmd: "getacl", path: "/zookeeper", acl: ["world:anyone:cdrwa"] },
        { cmd: "set", path: "/zookeeper/config", rc: "NOAUTH" },
        // The three system paths cannot be deleted: BADARGUMENTS, whatever the ACL says.
        { cmd: "delete", path: "/zookeeper/config", rc: "BADARGUMENTS" },
        { cmd: "delete", path: "/zookeeper/quota", rc: "BADARGUMENTS" },
        { cmd: "delete", path: "/zookeeper", rc: "BADARGUMENTS" },
        // Creating under /zookeeper is allowed.
        { cmd: "create", path: "/zookeeper/mine", rc: "OK" },
        { cmd: "count", path: "/zookeeper", count: 2 },
      ]),
  );
});

interopTest("java: create in every mode, returned names, Stat of the new node", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     create /cm @null
     create /cm/p data1
     create2 /cm/p2 @empty
     get /cm/p
     get /cm/p2
     create /cm/e eph mode=ephemeral
     create2 /cm/e2 eph mode=ephemeral
     create /cm/s- @null mode=sequential
     create /cm/s- @null mode=sequential
     create /cm/es- @null mode=ephemeral_sequential
     delete /cm/p2
     create /cm/s- @null mode=sequential
     create /cm/c @null mode=container
     create2 /cm/c2 @null mode=container
     create /cm/t @null mode=ttl ttl=60000
     create2 /cm/t2 @null mode=ttl ttl=60000
     create2 /cm/st- @null mode=sequential_ttl ttl=60000
     create /cm/ @null mode=sequential
     create /cm/c/child x
     create /cm/t/child x
     ls2 /cm
     get /cm
     get /cm/c
     get /cm/t
     get /cm/e
     conn B
     get /cm/e
     get /cm/es-0000000006`,
    (run) =>
      expectLines(run, [
        { cmd: "create", path: "/cm", result: "/cm" },
        {
          cmd: "create2",
          path: "/cm/p2",
          stat: { czxid: "z1", mzxid: "z1", pzxid: "z1", version: 0, cversion: 0, dataLength: 0 },
        },
        { cmd: "get", path: "/cm/p", data: "data1", stat: { dataLength: 5 } },
        // Empty data stays empty (not null).
        { cmd: "get", path: "/cm/p2", data: "" },
        { cmd: "create2", path: "/cm/e2", stat: { ephemeralOwner: "A", dataLength: 3 } },
        // The sequence suffix is the parent's count of child creations so far (p, p2, e, e2 => 4),
        // 10 digits, shared by all modes, and not reduced by deletes.
        { cmd: "create", result: "/cm/s-0000000004" },
        { cmd: "create", result: "/cm/s-0000000005" },
        { cmd: "create", result: "/cm/es-0000000006" },
        { cmd: "delete", path: "/cm/p2", rc: "OK" },
        { cmd: "create", result: "/cm/s-0000000007" },
        // Containers and TTL nodes show ephemeralOwner 0.
        { cmd: "create2", path: "/cm/c2", stat: { ephemeralOwner: 0 } },
        { cmd: "create2", path: "/cm/t2", stat: { ephemeralOwner: 0 } },
        { cmd: "create2", result: "/cm/st-0000000012" },
        // A trailing "/" is a legal base for a sequential create.
        { cmd: "create", path: "/cm/", result: "/cm/0000000013" },
        // 14 creates + 1 delete => visible cversion 15.
        { cmd: "ls2", path: "/cm", stat: { cversion: 15, numChildren: 13 } },
        // Null data: getData gives null and dataLength 0.
        { cmd: "get", path: "/cm", data: null, stat: { dataLength: 0 } },
        { cmd: "get", path: "/cm/e", stat: { ephemeralOwner: "A" } },
        { cmd: "get", conn: "B", path: "/cm/e", stat: { ephemeralOwner: "A" } },
        { cmd: "get", conn: "B", path: "/cm/es-0000000006", stat: { ephemeralOwner: "A" } },
      ]),
  );
});

interopTest("java: Stat update rules (version, cversion, aversion, mzxid, pzxid)", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     create /st @null
     get /st
     create /st/a 1
     create /st/b 2
     get /st
     delete /st/a
     get /st
     set /st/b 2
     set /st/b 2
     get /st/b
     set /st/b 3 version=1
     set /st/b 3 version=2
     setacl /st/b world:anyone:cdrwa
     setacl /st/b world:anyone:cdrwa version=0
     setacl /st/b world:anyone:cdrwa version=1
     getacl /st/b
     delete /st/b version=0
     delete /st/b version=3
     get /st
     create /st/c @null
     delete /st/c
     get /st
     multi create /st/m1 | create /st/m2 | set /st/m1 x | delete /st/m2
     get /st
     get /st/m1`,
    (run) =>
      expectLines(run, [
        { cmd: "get", path: "/st", stat: { czxid: "z1", pzxid: "z1", cversion: 0 } },
        // Two child creates: cversion 2, pzxid = last child create; mzxid unchanged.
        {
          cmd: "get",
          path: "/st",
          stat: { mzxid: "z1", version: 0, cversion: 2, numChildren: 2, pzxid: "z2" },
        },
        // A child delete also raises the visible cversion and moves pzxid.
        { cmd: "get", path: "/st", stat: { cversion: 3, numChildren: 1, pzxid: "z3" } },
        // Setting identical data still bumps version and mzxid.
        { cmd: "set", path: "/st/b", stat: { mzxid: "z4", version: 1 } },
        { cmd: "set", path: "/st/b", stat: { mzxid: "z5", version: 2 } },
        { cmd: "set", path: "/st/b", rc: "BADVERSION" },
        { cmd: "set", path: "/st/b", rc: "OK", stat: { version: 3 } },
        // setACL bumps aversion only; its version argument is compared with aversion.
        { cmd: "setacl", rc: "OK", stat: { mzxid: "z6", version: 3, aversion: 1 } },
        { cmd: "setacl", rc: "BADVERSION" },
        { cmd: "setacl", rc: "OK", stat: { aversion: 2 } },
        { cmd: "delete", path: "/st/b", rc: "BADVERSION" },
        { cmd: "delete", path: "/st/b", rc: "OK" },
        { cmd: "get", path: "/st", stat: { cversion: 4, numChildren: 0, pzxid: "z7" } },
        { cmd: "get", path: "/st", stat: { cversion: 6, pzxid: "z8" } },
        // All ops of a multi share one zxid: m1's czxid == mzxid, parent pzxid the same.
        { cmd: "multi", rc: "OK" },
        { cmd: "get", path: "/st", stat: { cversion: 9, numChildren: 1, pzxid: "z9" } },
        {
          cmd: "get",
          path: "/st/m1",
          data: "x",
          stat: { czxid: "z9", mzxid: "z9", version: 1, pzxid: "z9" },
        },
      ]),
  );
});

interopTest("java: error codes and their precedence", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     create /er x
     create /er/child x
     create /er/eph x mode=ephemeral
     get /er/missing
     set /er/missing x
     delete /er/missing
     exists /er/missing
     getacl /er/missing
     ls /er/missing
     create /er/missing/x x
     create /er x
     create / x
     delete /er
     delete /er/child version=5
     create /er/eph/x x
     create /er/eph/x- x mode=sequential
     raw create /er/.
     raw create /er/..
     raw create /er/
     raw create /er//x
     raw create "/er/a\\u0001"
     raw create /er/ok/
     raw create /er/flags5 flags=5
     raw create /er/flags9 flags=9
     raw createttl /er/ttl0 flags=5 ttl=0
     raw createttl /er/ttlmode flags=0 ttl=1000
     raw set /er/. x
     raw setacl /er/./x open
     raw delete /
     raw delete /er/
     raw get /er//child
     raw exists /er/./child
     raw ls /er/
     create /er/acl1 x acl=world:someone:r
     create /er/acl2 x acl=auth::cdrwa
     create /er/acl3 x acl=digest:nocolon:cdrwa
     create /er/acl4 x acl=ip:999.1.1.1:r
     create /er/acl5 x acl=nosuchscheme:x:r
     raw setacl /er/child empty
     setacl /er/child world:nobody:r
     ls /er`,
    (run) =>
      expectLines(run, [
        { cmd: "get", path: "/er/missing", rc: "NONODE" },
        { cmd: "set", path: "/er/missing", rc: "NONODE" },
        { cmd: "delete", path: "/er/missing", rc: "NONODE" },
        // exists on a missing node is not an error for the Java client: a null Stat.
        { cmd: "exists", path: "/er/missing", rc: "OK", stat: null },
        { cmd: "getacl", rc: "NONODE" },
        { cmd: "ls", rc: "NONODE" },
        { cmd: "create", path: "/er/missing/x", rc: "NONODE" },
        { cmd: "create", path: "/er", rc: "NODEEXISTS" },
        { cmd: "create", path: "/", rc: "NODEEXISTS" },
        { cmd: "delete", path: "/er", rc: "NOTEMPTY" },
        { cmd: "delete", path: "/er/child", rc: "BADVERSION" },
        { cmd: "create", path: "/er/eph/x", rc: "NOCHILDRENFOREPHEMERALS" },
        { cmd: "create", path: "/er/eph/x-", rc: "NOCHILDRENFOREPHEMERALS" },
        // Server-side path validation (the Java client's own check is bypassed by `raw`).
        { cmd: "raw create", path: "/er/.", rc: "BADARGUMENTS" },
        { cmd: "raw create", path: "/er/..", rc: "BADARGUMENTS" },
        { cmd: "raw create", path: "/er/", rc: "BADARGUMENTS" },
        // The parent of /er//x is "/er/", which does not exist: NONODE comes before validation.
        { cmd: "raw create", path: "/er//x", rc: "NONODE" },
        { cmd: "raw create", path: "/er/a\u0001", rc: "BADARGUMENTS" },
        { cmd: "raw create", path: "/er/ok/", rc: "NONODE" },
        // TTL flags on a plain create, unknown flags, and bad TTL requests.
        { cmd: "raw create", path: "/er/flags5", rc: "BADARGUMENTS" },
        { cmd: "raw create", path: "/er/flags9", rc: "BADARGUMENTS" },
        { cmd: "raw createttl", path: "/er/ttl0", rc: "BADARGUMENTS" },
        { cmd: "raw createttl", path: "/er/ttlmode", rc: "BADARGUMENTS" },
        { cmd: "raw set", path: "/er/.", rc: "BADARGUMENTS" },
        { cmd: "raw setacl", path: "/er/./x", rc: "BADARGUMENTS" },
        { cmd: "raw delete", path: "/", rc: "BADARGUMENTS" },
        // Reads do not validate paths: odd paths are simply not found.
        { cmd: "raw get", path: "/er//child", rc: "NONODE" },
        { cmd: "raw exists", path: "/er/./child", rc: "NONODE" },
        { cmd: "raw ls", path: "/er/", rc: "NONODE" },
        { cmd: "create", path: "/er/acl1", rc: "INVALIDACL" },
        // auth::cdrwa with no authenticated id on the connection.
        { cmd: "create", path: "/er/acl2", rc: "INVALIDACL" },
        { cmd: "create", path: "/er/acl3", rc: "INVALIDACL" },
        { cmd: "create", path: "/er/acl4", rc: "INVALIDACL" },
        { cmd: "create", path: "/er/acl5", rc: "INVALIDACL" },
        { cmd: "raw setacl", path: "/er/child", rc: "INVALIDACL" },
        { cmd: "setacl", path: "/er/child", rc: "INVALIDACL" },
        { cmd: "ls", path: "/er", children: ["child", "eph"] },
      ]),
  );
});

interopTest(
  "java: getChildren, getChildren2, getAllChildrenNumber, getEphemerals, sync",
  async () => {
    await expectSameAsApache(
      suite,
      `conn A
     create /rd @null
     create /rd/a @null
     create /rd/a/x @null
     create /rd/a/x/y @null
     create /rd/b @null
     create /rd/eph1 @null mode=ephemeral
     create /rd/ephx @null mode=ephemeral
     create /rd/a/eph2 @null mode=ephemeral
     ls /rd
     ls2 /rd
     ls /rd/a/x/y
     count /rd
     count /rd/a
     count /rd/a/x/y
     count /rd/missing
     ephemerals
     ephemerals /rd/eph
     ephemerals /rd/a
     ephemerals /
     ephemerals /nothing-here
     sync /rd
     sync /rd/missing
     conn B
     create /rd/eph-of-b @null mode=ephemeral
     ephemerals
     ephemerals /rd
     use A
     ephemerals /rd`,
      (run) =>
        expectLines(run, [
          { cmd: "ls", path: "/rd", children: ["a", "b", "eph1", "ephx"] },
          {
            cmd: "ls2",
            path: "/rd",
            children: ["a", "b", "eph1", "ephx"],
            stat: { numChildren: 4 },
          },
          { cmd: "ls", path: "/rd/a/x/y", children: [] },
          // All descendants, not counting the node itself.
          { cmd: "count", path: "/rd", count: 7 },
          { cmd: "count", path: "/rd/a", count: 3 },
          { cmd: "count", path: "/rd/a/x/y", count: 0 },
          { cmd: "count", path: "/rd/missing", rc: "NONODE" },
          { cmd: "ephemerals", rc: "OK", paths: ["/rd/a/eph2", "/rd/eph1", "/rd/ephx"] },
          // The prefix is a plain string prefix, not a path prefix.
          { cmd: "ephemerals", prefix: "/rd/eph", paths: ["/rd/eph1", "/rd/ephx"] },
          { cmd: "ephemerals", prefix: "/rd/a", paths: ["/rd/a/eph2"] },
          { cmd: "ephemerals", prefix: "/", paths: ["/rd/a/eph2", "/rd/eph1", "/rd/ephx"] },
          { cmd: "ephemerals", prefix: "/nothing-here", paths: [] },
          { cmd: "sync", path: "/rd", rc: "OK", result: "/rd" },
          // sync does not check that the node exists.
          { cmd: "sync", path: "/rd/missing", rc: "OK", result: "/rd/missing" },
          // Only the caller's own ephemerals.
          { cmd: "ephemerals", conn: "B", paths: ["/rd/eph-of-b"] },
          {
            cmd: "ephemerals",
            conn: "A",
            prefix: "/rd",
            paths: ["/rd/a/eph2", "/rd/eph1", "/rd/ephx"],
          },
        ]),
    );
  },
);

interopTest(
  "java: multi commits atomically, rolls back with per-op results; multiRead",
  async () => {
    await expectSameAsApache(
      suite,
      `conn A
     create /mu x
     create /mu/del x
     multi create /mu/a 1 | create /mu/a/b 2 | set /mu/a 3 version=0 | check /mu version=0 | delete /mu/del
     get /mu/a
     ls2 /mu
     multi create /mu/r1 x | create /mu/r2 x | check /mu/a version=7 | create /mu/r3 x
     exists /mu/r1
     exists /mu/r2
     multi create /mu/a x | create /mu/r4 x
     multi delete /mu/a | create /mu/r5 x
     multi set /mu/missing x | create /mu/r6 x
     multi create /mu/s- x mode=sequential | create /mu/s- x mode=sequential | create /mu/e- x mode=ephemeral_sequential
     multi create /mu/c x mode=container | create /mu/t x mode=ttl ttl=60000 | create /mu/p x
     multi create /mu/eph x mode=ephemeral | create /mu/eph/child x
     multiread get /mu/a | ls /mu/a | get /mu/missing | ls /mu/missing | get /mu
     ls /mu`,
      (run) =>
        expectLines(run, [
          {
            cmd: "multi",
            rc: "OK",
            results: [
              { opType: 1, type: "create", path: "/mu/a" },
              { opType: 1, type: "create", path: "/mu/a/b" },
              {
                opType: 5,
                type: "set",
                stat: {
                  czxid: "z1",
                  mzxid: "z1",
                  ctime: "t",
                  mtime: "t",
                  version: 1,
                  cversion: 1,
                  aversion: 0,
                  ephemeralOwner: 0,
                  dataLength: 1,
                  numChildren: 1,
                  pzxid: "z1",
                },
              },
              { opType: 13, type: "check" },
              { opType: 2, type: "delete" },
            ],
          },
          { cmd: "get", path: "/mu/a", data: "3" },
          { cmd: "ls2", path: "/mu", children: ["a"], stat: { cversion: 3, pzxid: "z1" } },
          // Failure: earlier ops report OK ("rolled back"), the failing op its code, later ops
          // RUNTIMEINCONSISTENCY; nothing is applied.
          {
            cmd: "multi",
            rc: "BADVERSION",
            results: [
              { opType: -1, type: "error", err: "OK" },
              { opType: -1, type: "error", err: "OK" },
              { opType: -1, type: "error", err: "BADVERSION" },
              { opType: -1, type: "error", err: "RUNTIMEINCONSISTENCY" },
            ],
          },
          { cmd: "exists", path: "/mu/r1", stat: null },
          { cmd: "exists", path: "/mu/r2", stat: null },
          { cmd: "multi", rc: "NODEEXISTS" },
          { cmd: "multi", rc: "NOTEMPTY" },
          { cmd: "multi", rc: "NONODE" },
          // Sequential creates in one multi see each other's counter increments; the creates of
          // the failed multis above did not count (only del and a were ever created under /mu).
          {
            cmd: "multi",
            rc: "OK",
            results: [
              { opType: 1, type: "create", path: "/mu/s-0000000002" },
              { opType: 1, type: "create", path: "/mu/s-0000000003" },
              { opType: 1, type: "create", path: "/mu/e-0000000004" },
            ],
          },
          // Container and TTL creates report result type 15 (create2) with a Stat.
          { cmd: "multi", rc: "OK", results: [{ opType: 15 }, { opType: 15 }, { opType: 1 }] },
          {
            cmd: "multi",
            rc: "NOCHILDRENFOREPHEMERALS",
            results: [
              { opType: -1, type: "error", err: "OK" },
              { opType: -1, type: "error", err: "NOCHILDRENFOREPHEMERALS" },
            ],
          },
          // multiRead: not atomic, each read on its own.
          {
            cmd: "multiread",
            rc: "OK",
            results: [
              { opType: 4, type: "get", data: "3" },
              { opType: 8, type: "ls", children: ["b"] },
              { opType: -1, type: "error", err: "NONODE" },
              { opType: -1, type: "error", err: "NONODE" },
              { opType: 4, type: "get", data: "x" },
            ],
          },
        ]),
    );
  },
);

interopTest("java: 1 MB values round-trip; an oversize request drops the connection", async () => {
  await expectSameAsApache(
    suite,
    `conn A
     create /big @bytes:1000000
     get /big
     set /big @bytes:1000
     get /big
     set /big @bytes:1000000
     get /big
     create2 /big2 @bytes:1000000
     multiread get /big | get /big2
     set /big @bytes:1100000
     get /big
     ls /`,
    (run) =>
      expectLines(run, [
        { cmd: "create", path: "/big", rc: "OK" },
        { cmd: "get", path: "/big", stat: { dataLength: 1000000, version: 0 } },
        { cmd: "get", path: "/big", stat: { dataLength: 1000, version: 1 } },
        { cmd: "get", path: "/big", stat: { dataLength: 1000000, version: 2 } },
        { cmd: "create2", path: "/big2", stat: { dataLength: 1000000 } },
        // Two 1 MB values in one reply exceed the *client's* 1 MB limit: the Java client drops
        // the connection and fails the call with CONNECTIONLOSS (the server must send it).
        { cmd: "multiread", rc: "CONNECTIONLOSS" },
        // A frame over jute.maxbuffer (1,048,575 bytes) makes the server close the connection:
        // the Java client reports CONNECTIONLOSS, reconnects, and the session goes on.
        { cmd: "set", path: "/big", rc: "CONNECTIONLOSS" },
        { cmd: "get", path: "/big", rc: "OK", stat: { dataLength: 1000000, version: 2 } },
      ]),
  );
});
