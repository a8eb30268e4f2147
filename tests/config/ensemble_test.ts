/** Ensemble configuration: server.N, myid, initLimit/syncLimit, ZooKeeper 3.8's rules. */

import assert from "node:assert/strict";
import { buildConfig, ConfigError, parseProperties } from "../../lib/config/config.ts";
import { parseMyId, parseServerLine } from "../../lib/config/ensemble.ts";

/** Builds a config as `zkd start` would, with `myid` as the content of dataDir/myid. */
function cfg(text: string, myid: string | null = null) {
  const asked: string[] = [];
  const config = buildConfig(parseProperties(text), {
    readMyId: (dir) => {
      asked.push(dir);
      return myid;
    },
  });
  return { ...config, asked };
}

function throwsConfig(text: string, myid: string | null, re: RegExp): void {
  assert.throws(
    () => cfg(text, myid),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    },
  );
}

const ENSEMBLE = `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`;

Deno.test("buildConfig() reads a zoo.cfg written for an Apache ZooKeeper 3.8 ensemble", () => {
  // conf/zoo_sample.cfg of ZooKeeper 3.8, as an operator fills it in for three servers.
  const text = `# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial 
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between 
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
dataDir=/var/lib/zookeeper
# the port at which the clients will connect
clientPort=2181
#maxClientCnxns=60
#autopurge.snapRetainCount=3
#autopurge.purgeInterval=1
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
4lw.commands.whitelist=srvr, stat, mntr, ruok
admin.enableServer=false
electionAlg=3
quorumListenOnAllIPs=true
server.1=zk1.example.com:2888:3888
server.2=zk2.example.com:2888:3888
server.3=zk3.example.com:2888:3888
`;
  const c = cfg(text, "2\n");
  assert.deepEqual(c.asked, ["/var/lib/zookeeper"]);
  assert.equal(c.clientPort, 2181);
  assert.equal(c.clientPortAddress, "0.0.0.0");
  assert.deepEqual(c.ignored.map((i) => i.key), []);
  assert.equal(c.adminServerEnabled, false);
  assert.deepEqual(c.warnings, []);
  const e = c.ensemble!;
  assert.equal(e.myId, 2);
  assert.equal(e.initLimitTicks, 10);
  assert.equal(e.syncLimitTicks, 5);
  assert.equal(e.readOnlyModeEnabled, false);
  assert.equal(e.quorumListenOnAllIPs, true);
  assert.deepEqual(e.members, [
    {
      id: 1,
      host: "zk1.example.com",
      quorumPort: 2888,
      electionPort: 3888,
      role: "participant",
      clientAddress: null,
      clientPort: null,
      clientAddressFromStatic: false,
    },
    {
      id: 2,
      host: "zk2.example.com",
      quorumPort: 2888,
      electionPort: 3888,
      role: "participant",
      // This server's own entry gets clientPortAddress/clientPort, as ZooKeeper fills it.
      clientAddress: "0.0.0.0",
      clientPort: 2181,
      // ZooKeeper's isClientAddrFromStatic: /zookeeper/config shows no client part for it.
      clientAddressFromStatic: true,
    },
    {
      id: 3,
      host: "zk3.example.com",
      quorumPort: 2888,
      electionPort: 3888,
      role: "participant",
      clientAddress: null,
      clientPort: null,
      clientAddressFromStatic: false,
    },
  ]);
  assert.equal(e.self, e.members[1]);
  assert.equal(e.configVersion, 0);
  assert.equal(e.dynamicConfigFile, null);
  assert.ok(Object.isFrozen(e) && Object.isFrozen(e.members));
});

Deno.test("buildConfig() takes the client port from this server's line (the 3.5+ form)", () => {
  // Five servers on one machine, one of them an observer, no clientPort key.
  const text = `tickTime=2000
initLimit=5
syncLimit=2
dataDir=/data/zk3
server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181
server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182
server.3=127.0.0.1:2890:3890:participant;127.0.0.1:2183
server.4=127.0.0.1:2891:3891;2184
server.5=127.0.0.1:2892:3892:observer;2185
`;
  const c = cfg(text, "3");
  assert.equal(c.clientPort, 2183);
  assert.equal(c.clientPortAddress, "127.0.0.1");
  const e = c.ensemble!;
  assert.equal(e.myId, 3);
  assert.deepEqual(e.members.map((m) => m.role), [
    "participant",
    "participant",
    "participant",
    "participant",
    "observer",
  ]);
  assert.deepEqual(e.members.map((m) => [m.clientAddress, m.clientPort]), [
    ["127.0.0.1", 2181],
    ["127.0.0.1", 2182],
    ["127.0.0.1", 2183],
    ["0.0.0.0", 2184],
    ["0.0.0.0", 2185],
  ]);
  assert.match(c.warnings.join("\n"), /4 participants: an even number/);

  // The observer's own view: the same list, its role from its line.
  const o = cfg(text, "5");
  assert.equal(o.ensemble!.self.role, "observer");
  assert.equal(o.clientPort, 2185);
  assert.equal(o.clientPortAddress, "0.0.0.0");

  // clientPort may repeat what the line says (a wildcard clientPortAddress matches any host).
  assert.equal(cfg(text + "clientPort=2183\n", "3").clientPort, 2183);
  assert.equal(
    cfg(text + "clientPort=2183\nclientPortAddress=127.0.0.1\n", "3").clientPortAddress,
    "127.0.0.1",
  );
});

Deno.test("parseServerLine() reads every form QuorumServer accepts", () => {
  const line = (v: string) => {
    const m = parseServerLine("server.7", v);
    return [m.host, m.quorumPort, m.electionPort, m.role, m.clientAddress, m.clientPort];
  };
  assert.deepEqual(line("127.0.0.1:1234:1236"), [
    "127.0.0.1",
    1234,
    1236,
    "participant",
    null,
    null,
  ]);
  assert.deepEqual(line("127.0.0.1:1234:1236:participant;0.0.0.0:1237"), [
    "127.0.0.1",
    1234,
    1236,
    "participant",
    "0.0.0.0",
    1237,
  ]);
  assert.deepEqual(line("127.0.0.1:1234:1236;1237"), [
    "127.0.0.1",
    1234,
    1236,
    "participant",
    "0.0.0.0",
    1237,
  ]);
  assert.deepEqual(line("127.0.0.1:1234:1236:OBSERVER;1.2.3.4:1237"), [
    "127.0.0.1",
    1234,
    1236,
    "observer",
    "1.2.3.4",
    1237,
  ]);
  assert.deepEqual(line("example.com:1234:1236:participant;1237"), [
    "example.com",
    1234,
    1236,
    "participant",
    "0.0.0.0",
    1237,
  ]);
  assert.deepEqual(line("[0:0:0:0:0:0:0:1]:1234:1236"), [
    "0:0:0:0:0:0:0:1",
    1234,
    1236,
    "participant",
    null,
    null,
  ]);
  assert.deepEqual(line("[fe80::1%eth0]:1234:1236:observer;[::1]:1237"), [
    "fe80::1%eth0",
    1234,
    1236,
    "observer",
    "::1",
    1237,
  ]);
  // Java's split drops trailing empty parts, so ZooKeeper accepts these.
  assert.deepEqual(line("zk-1:1234:1236:"), ["zk-1", 1234, 1236, "participant", null, null]);
  assert.deepEqual(line("zk-1:1234:1236;"), ["zk-1", 1234, 1236, "participant", null, null]);
  assert.equal(parseServerLine("server.007", "h:1:2").id, 7);
  assert.equal(parseServerLine("server.0", "h:1:2").id, 0);
  assert.equal(parseServerLine("server.9007199254740991", "h:1:2").id, 2 ** 53 - 1);
});

Deno.test("parseServerLine() names the key and value of a bad line", () => {
  const bad: Array<[string, string, RegExp]> = [
    ["server.1", "zk1:2888", /expected host:quorumPort:electionPort/],
    ["server.1", "zk1:2888:3888:participant:x", /expected host:quorumPort/],
    ["server.1", "zk1:2888:3888:leader", /unknown role 'leader'/],
    ["server.1", "zk1:0:3888", /bad quorum port '0'/],
    ["server.1", "zk1:2888:70000", /bad election port '70000'/],
    ["server.1", "zk1:abc:3888", /bad quorum port 'abc'/],
    ["server.1", "zk1:-1:3888", /bad quorum port '-1'/],
    ["server.1", "zk1:2888:2888", /quorum and election ports must differ/],
    ["server.1", "zk1:2888:3888;x", /bad client port 'x'/],
    ["server.1", "zk1:2888:3888;a:b:c", /client part 'a:b:c'/],
    ["server.1", "zk1:2888:3888;2181;2182", /more than one ';'/],
    ["server.1", "[::1:2888:3888", /no matching '\]'/],
    ["server.1", "[::1]2888:3888", /no port after the address/],
    ["server.1", "[zk1]:2888:3888", /bad IPv6 address 'zk1'/],
    ["server.1", "zk 1:2888:3888", /bad host 'zk 1'/],
    ["server.1", ":2888:3888", /empty host/],
    ["server.1", "a:1:2|b:1:2", /multiple addresses/],
    ["server.x", "zk1:2888:3888", /server.x: .*not a non-negative integer/],
    ["server.-1", "zk1:2888:3888", /not a non-negative integer/],
    ["server.99999999999999999999", "zk1:2888:3888", /above 2\^53-1/],
  ];
  for (const [key, value, re] of bad) {
    assert.throws(
      () => parseServerLine(key, value),
      (e: unknown) =>
        e instanceof ConfigError && re.test(e.message) &&
        e.message.startsWith(`invalid value for ${key}: '`),
      `${key}=${value}`,
    );
  }
});

Deno.test("buildConfig() runs standalone as ZooKeeper does: no server.N, or exactly one", () => {
  const none = cfg("dataDir=/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n", "1");
  assert.equal(none.ensemble, null);
  assert.deepEqual(none.asked, [], "myid is not read without server lines");
  assert.deepEqual(none.warnings, []);

  // HBase-style single line: ZooKeeper logs an error and runs standalone; no myid needed.
  const one = cfg("dataDir=/d\nclientPort=2181\nserver.1=zk1:2888:3888\n");
  assert.equal(one.ensemble, null);
  assert.match(one.warnings[0], /only one server.N line: running standalone/);
  // With a myid, the one line still supplies this server's client port.
  assert.equal(cfg("dataDir=/d\nserver.1=zk1:2888:3888;2191\n", "1").clientPort, 2191);

  // standaloneEnabled=false: one participant is an ensemble of one (reconfig's starting point).
  const solo = cfg(
    "dataDir=/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nstandaloneEnabled=false\n" +
      "server.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n",
    "1",
  );
  assert.deepEqual(solo.ensemble!.members.map((m) => m.id), [1, 2]);
  assert.match(solo.warnings.join("\n"), /1 participant\(s\): no server failure will be tolerated/);
});

Deno.test("buildConfig() reads readonlymode.enabled, peerType and the other quorum keys", () => {
  assert.equal(
    cfg(ENSEMBLE + "readonlymode.enabled=true\n", "1").ensemble!.readOnlyModeEnabled,
    true,
  );
  assert.equal(
    cfg(ENSEMBLE + "zookeeper.readonlymode.enabled=true\n", "1").ensemble!.readOnlyModeEnabled,
    true,
  );
  assert.equal(cfg(ENSEMBLE, "1").ensemble!.quorumListenOnAllIPs, false);
  assert.deepEqual(cfg(ENSEMBLE + "peerType=participant\nelectionAlg=3\n", "1").warnings, []);
  // A peerType that disagrees with the list: ZooKeeper warns and the list wins.
  const mismatch = cfg(ENSEMBLE + "peerType=observer\n", "1");
  assert.equal(mismatch.ensemble!.self.role, "participant");
  assert.match(mismatch.warnings[0], /peerType=observer does not match server.1's role/);
  // Two participants: valid, with ZooKeeper's warning.
  const two = cfg(ENSEMBLE.replace("server.3=zk3:2888:3888\n", ""), "1");
  assert.equal(two.ensemble!.members.length, 2);
  assert.match(two.warnings[0], /no server failure will be tolerated/);
  // zookeeper.server.1 is a system property to ZooKeeper, not a server line.
  const prefixed = cfg("dataDir=/d\nclientPort=1\nzookeeper.server.1=zk1:2888:3888\n");
  assert.equal(prefixed.ensemble, null);
  assert.deepEqual(prefixed.ignored.map((i) => i.key), ["zookeeper.server.1"]);
  // myid in zoo.cfg means nothing to ZooKeeper: ignored, saying where the id comes from.
  assert.match(cfg("dataDir=/d\nclientPort=1\nmyid=3\n").ignored[0].why, /dataDir\/myid/);
});

Deno.test("parseMyId() reads the first line of the myid file", () => {
  assert.equal(parseMyId("3", "/d/myid"), 3);
  assert.equal(parseMyId("12\n", "/d/myid"), 12);
  assert.equal(parseMyId(" 4 \r\nrest", "/d/myid"), 4);
  assert.throws(() => parseMyId("", "/d/myid"), /myid: '' \(in \/d\/myid: not a server id\)/);
  assert.throws(() => parseMyId("one", "/d/myid"), /myid: 'one'/);
});

Deno.test("buildConfig() refuses a bad ensemble with one line naming key and value", () => {
  const noLine = (n: number) => ENSEMBLE.replace(`server.${n}=zk${n}:2888:3888\n`, "");
  const bad: Array<[string, string | null, RegExp]> = [
    [ENSEMBLE, null, /myid file is missing: \/var\/lib\/zookeeper\/myid .*one of 1, 2, 3/],
    [ENSEMBLE, "4", /invalid value for myid: '4' .*no server.4 line \(servers: 1, 2, 3\)/],
    [ENSEMBLE, "x", /invalid value for myid: 'x' \(in \/var\/lib\/zookeeper\/myid/],
    // A bad myid stops start-up even when one server line means standalone, as in ZooKeeper.
    ["dataDir=/d\nclientPort=1\nserver.1=zk1:2888:3888\n", "x", /myid: 'x'/],
    [ENSEMBLE + "server.01=zk4:2888:3888\n", "1", /server.01: 'zk4:2888:3888' .*defined twice/],
    [noLine(2) + "server.2=zk2:2888:3888;2182\n", "2", /server.2: .*differs from .*0.0.0.0:2181/],
    [
      noLine(2) + "server.2=zk2:2888:3888;10.0.0.2:2181\nclientPortAddress=10.0.0.9\n",
      "2",
      /server.2: .*10.0.0.2:2181 differs from .*10.0.0.9:2181/,
    ],
    [
      "dataDir=/d\nclientPortAddress=127.0.0.1\nserver.1=zk1:2888:3888;2181\n",
      "1",
      /clientPortAddress: '127.0.0.1' \(clientPort is not set\)/,
    ],
    [noLine(3) + "server.3=zk1:2888:3889\n", "1", /server.3: .*quorum address zk1:2888 is also/],
    [noLine(3) + "server.3=zk1:3888:3889\n", "1", /server.3: .*zk1:3888 is also the election/],
    [
      noLine(1).replace("clientPort=2181\n", "") + "server.1=zk1:2888:3888;2888\n",
      "1",
      /server.1: .*client port 2888 is also its quorum/,
    ],
    [ENSEMBLE.replace("initLimit=10\n", ""), "1", /initLimit is not set/],
    [ENSEMBLE.replace("syncLimit=5\n", ""), "1", /syncLimit is not set/],
    [ENSEMBLE.replace("syncLimit=5", "syncLimit=0"), "1", /syncLimit is not set/],
    [ENSEMBLE.replace("initLimit=10", "initLimit=ten"), "1", /initLimit: 'ten' \(not an integer/],
    [ENSEMBLE.replace("initLimit=10", "initLimit=-1"), "1", /initLimit: '-1'/],
    [ENSEMBLE + "electionAlg=0\n", "1", /electionAlg: '0' \(only 3 is supported\)/],
    [ENSEMBLE + "peerType=leader\n", "1", /peerType: 'leader'/],
    [ENSEMBLE + "standaloneEnabled=maybe\n", "1", /standaloneEnabled: 'maybe'/],
    [ENSEMBLE + "readonlymode.enabled=1\n", "1", /readonlymode.enabled: '1'/],
    [ENSEMBLE + "quorumListenOnAllIPs=all\n", "1", /quorumListenOnAllIPs: 'all'/],
    [ENSEMBLE + "group.1=1:2:3\n", "1", /group.1: '1:2:3' \(hierarchical quorums/],
    [ENSEMBLE + "weight.1=1\n", "1", /weight.1: '1'/],
    [
      "dataDir=/d\nclientPort=1\ndynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000000\n",
      null,
      /^dynamic config file \/etc\/zk\/zoo.cfg.dynamic.100000000 does not exist/,
    ],
    [
      "dataDir=/d\nclientPort=1\nstandaloneEnabled=false\n",
      null,
      /standaloneEnabled: 'false' \(an ensemble needs at least one participant/,
    ],
    [
      "dataDir=/d\nclientPort=1\nserver.1=zk1:2888:3888:observer\n",
      "1",
      /observers without participants: .*server.1/,
    ],
    [
      "dataDir=/d\nclientPort=1\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n",
      "1",
      /observers without a quorum/,
    ],
    [ENSEMBLE.replace("clientPort=2181\n", ""), "1", /^clientPort is not set$/],
    [ENSEMBLE.replace("zk2:2888:3888", "zk2:2888"), "1", /server.2: 'zk2:2888'/],
  ];
  for (const [text, myid, re] of bad) throwsConfig(text, myid, re);
});
