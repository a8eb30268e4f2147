// Sessions through the real Java client: negotiated timeouts, ephemerals dying with their
// session (close and expiry), the Expired state for a client that comes back too late, session
// resumption on a new connection, and a wrong password. A TCP proxy inside ZkProbe cuts a client
// off without a closeSession, which is how a real network partition or a dead client looks.

import {
  differentialSuite,
  expectLines,
  expectSameAsApache,
  interopTest,
} from "./support/differential.ts";

// tickTime 2000 => sessions may be 4000..40000 ms; expiry takes 4-6 s with a 4000 ms session.
const suite = differentialSuite();

interopTest("java sessions: negotiated timeout is clamped to [2, 20] x tickTime", async () => {
  await expectSameAsApache(
    suite,
    `conn A timeoutMs=1000
     conn B timeoutMs=100000
     conn C timeoutMs=7000
     session
     close C
     close B
     close A`,
    (run) =>
      expectLines(run, [
        { cmd: "conn", conn: "A", rc: "OK", timeoutMs: 4000 },
        { cmd: "conn", conn: "B", rc: "OK", timeoutMs: 40000 },
        { cmd: "conn", conn: "C", rc: "OK", timeoutMs: 7000 },
        { cmd: "session", session: "C" },
        { cmd: "close", conn: "C", rc: "OK" },
      ]),
  );
});

interopTest("java sessions: close deletes ephemerals before replying", async () => {
  await expectSameAsApache(
    suite,
    `conn B
     create /cl x
     ls /cl watch
     conn C
     create /cl/e1 x mode=ephemeral
     create /cl/e2- x mode=ephemeral_sequential
     exists /cl/e1 watch
     close
     use B
     exists /cl/e1
     ls2 /cl
     events wait=3`,
    (run) =>
      expectLines(run, [
        { cmd: "close", conn: "C", rc: "OK" },
        // Straight after close() returns, another session sees the ephemerals gone.
        { cmd: "exists", conn: "B", path: "/cl/e1", stat: null },
        { cmd: "ls2", conn: "B", children: [], stat: { cversion: 4, numChildren: 0 } },
        { event: "NodeChildrenChanged", path: "/cl", conn: "B" },
        // The closing session's own watch fires before its close completes.
        { event: "NodeDeleted", path: "/cl/e1", conn: "C" },
        { event: "None", state: "Closed", conn: "C" },
      ]),
  );
});

interopTest("java sessions: expiry deletes ephemerals; the late client gets Expired", async () => {
  await expectSameAsApache(
    suite,
    `conn B
     create /ex x
     conn A proxy timeoutMs=4000
     create /ex/e1 x mode=ephemeral
     create /ex/e2- x mode=ephemeral_sequential
     use B
     exists /ex/e1 watch
     ls /ex watch
     use A
     proxy block
     use B
     events wait=3 timeoutMs=20000 sort
     ls2 /ex
     use A
     proxy unblock
     waitstate CLOSED timeoutMs=20000
     events wait=1 timeoutMs=10000
     get /ex
     create /ex/again x
     state`,
    (run) =>
      expectLines(run, [
        { cmd: "conn", conn: "A", rc: "OK", timeoutMs: 4000 },
        { cmd: "create", result: "/ex/e2-0000000001" },
        // The order in which an expired session's ephemerals are deleted is unspecified (Apache
        // iterates a HashSet), so these events are compared sorted: B's one-shot child watch
        // fires once, its exist watch on e1 once, and A saw its connection go.
        { event: "NodeChildrenChanged", path: "/ex", conn: "B" },
        { event: "NodeDeleted", path: "/ex/e1", conn: "B" },
        { event: "None", state: "Disconnected", conn: "A" },
        { cmd: "events", count: 3 },
        { cmd: "ls2", children: [], stat: { cversion: 4 } },
        // The server answers the returning client's ConnectRequest with timeOut 0: Expired.
        { cmd: "waitstate", state: "CLOSED", rc: "OK" },
        { event: "None", state: "Expired", conn: "A" },
        { cmd: "get", conn: "A", rc: "SESSIONEXPIRED" },
        { cmd: "create", conn: "A", rc: "SESSIONEXPIRED" },
      ]),
  );
});

interopTest("java sessions: resume on a new connection; wrong password is refused", async () => {
  await expectSameAsApache(
    suite,
    `conn B
     conn D proxy timeoutMs=10000
     create /rs x
     create /rs/e x mode=ephemeral
     session
     proxy block
     conn BAD session=D passwd=bad
     conn D2 session=D
     session
     get /rs/e
     ephemerals /rs
     create /rs/e2 x mode=ephemeral
     use B
     get /rs/e2
     use D2
     close
     use B
     ls /rs
     events`,
    (run) =>
      expectLines(run, [
        // A wrong password gets the "invalid session" reply (timeOut 0): the client sees Expired.
        { cmd: "conn", conn: "BAD", resume: "D", rc: "SESSIONEXPIRED" },
        // ...but the session itself is fine: resuming with the right password works, its
        // ephemerals are still there and owned by it.
        { cmd: "conn", conn: "D2", resume: "D", rc: "OK", timeoutMs: 10000 },
        { cmd: "session", conn: "D2", session: "D" },
        { cmd: "get", conn: "D2", path: "/rs/e", stat: { ephemeralOwner: "D" } },
        { cmd: "ephemerals", conn: "D2", paths: ["/rs/e"] },
        { cmd: "get", conn: "B", path: "/rs/e2", stat: { ephemeralOwner: "D" } },
        { cmd: "close", conn: "D2", rc: "OK" },
        { cmd: "ls", conn: "B", path: "/rs", children: [] },
      ]),
  );
});

interopTest("java sessions: a dropped connection reconnects to the same session", async () => {
  await expectSameAsApache(
    suite,
    `conn A proxy timeoutMs=10000
     create /dr x
     create /dr/e x mode=ephemeral
     get /dr watch
     proxy drop
     sleep 300
     waitstate CONNECTED timeoutMs=15000
     get /dr/e
     set /dr y
     events wait=3`,
    (run) =>
      expectLines(run, [
        { cmd: "get", path: "/dr/e", rc: "OK", stat: { ephemeralOwner: "A" } },
        { event: "None", state: "Disconnected", conn: "A" },
        { event: "None", state: "SyncConnected", conn: "A" },
        { event: "NodeDataChanged", path: "/dr", conn: "A" },
      ]),
  );
});
