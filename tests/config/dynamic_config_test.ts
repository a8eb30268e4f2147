/**
 * dynamicConfigFile: the membership read from `zoo.cfg.dynamic.<version>` as ZooKeeper 3.8
 * reads it (QuorumPeerConfig.parse, getVersionFromFilename). The expected errors and versions
 * were checked against ZooKeeper 3.8.0's own QuorumPeerConfig.
 */

import assert from "node:assert/strict";
import { buildConfig, ConfigError, parseProperties } from "../../lib/config/config.ts";
import { parseConfigVersion, versionFromFileName } from "../../lib/config/ensemble.ts";

const STATIC = `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic.100000000
`;

const DYNAMIC = `server.1=zk1:2888:3888:participant
server.2=zk2:2888:3888:participant
server.3=zk3:2888:3888:participant`;

/** buildConfig with `files` as the file system the readers see (myid is "2" unless given). */
function cfg(text: string, files: Record<string, string>, myid = "2") {
  const read: string[] = [];
  const config = buildConfig(parseProperties(text), {
    readMyId: () => myid,
    readConfigFile: (path) => {
      read.push(path);
      return files[path] ?? null;
    },
  });
  return { config, read };
}

function throwsConfig(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${e}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

Deno.test("buildConfig() takes the members from the dynamicConfigFile and the version from its name", () => {
  const { config, read } = cfg(STATIC, {
    "/etc/zookeeper/zoo.cfg.dynamic.100000000": DYNAMIC,
  });
  assert.deepEqual(read, ["/etc/zookeeper/zoo.cfg.dynamic.100000000"]);
  const e = config.ensemble!;
  assert.equal(e.configVersion, 0x100000000);
  assert.equal(e.dynamicConfigFile, "/etc/zookeeper/zoo.cfg.dynamic.100000000");
  assert.deepEqual(e.members.map((m) => [m.id, m.host, m.role]), [
    [1, "zk1", "participant"],
    [2, "zk2", "participant"],
    [3, "zk3", "participant"],
  ]);
  assert.equal(e.myId, 2);
  // The client port still comes from zoo.cfg, and is this server's "from static" address.
  assert.equal(config.clientPort, 2181);
  assert.deepEqual(
    [e.self.clientAddress, e.self.clientPort, e.self.clientAddressFromStatic],
    ["0.0.0.0", 2181, true],
  );
  assert.deepEqual(config.warnings, []);
  assert.deepEqual(config.ignored, []);
});

Deno.test("buildConfig() takes the client port from this server's line in the dynamic file", () => {
  // What ZooKeeper leaves after a reconfig gave server.2 a client part: no clientPort key.
  const text = STATIC.replace("clientPort=2181\n", "");
  const dynamic = DYNAMIC.replace(
    "server.2=zk2:2888:3888:participant",
    "server.2=zk2:2888:3888:participant;10.0.0.2:2182",
  );
  const { config } = cfg(text, { "/etc/zookeeper/zoo.cfg.dynamic.100000000": dynamic });
  assert.equal(config.clientPort, 2182);
  assert.equal(config.clientPortAddress, "10.0.0.2");
  assert.equal(config.ensemble!.self.clientAddressFromStatic, false);
  // A clientPort that disagrees with the line: ZooKeeper's setupClientPort error, naming the file.
  throwsConfig(
    () => cfg(STATIC, { "/etc/zookeeper/zoo.cfg.dynamic.100000000": dynamic }),
    /server.2: .*10.0.0.2:2182 differs from .*0.0.0.0:2181\) in dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000$/,
  );
});

Deno.test("buildConfig() applies the ensemble rules to the dynamic file's members", () => {
  const path = "/etc/zookeeper/zoo.cfg.dynamic.100000000";
  // One participant: standalone, as with one server.N line in zoo.cfg.
  const one = cfg(STATIC, { [path]: "server.1=zk1:2888:3888" }, "1").config;
  assert.equal(one.ensemble, null);
  assert.match(one.warnings[0], /only one server.N line/);
  // Observers are members too.
  const obs = cfg(STATIC, { [path]: DYNAMIC + "\nserver.4=zk4:2888:3888:observer" }, "4").config;
  assert.equal(obs.ensemble!.self.role, "observer");
  // myid must name one of the file's servers.
  throwsConfig(
    () => cfg(STATIC, { [path]: DYNAMIC }, "7"),
    /myid: '7' .*no server.7 line \(servers: 1, 2, 3\)\) in dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000$/,
  );
  // zoo.cfg's ensemble keys still apply.
  throwsConfig(
    () => cfg(STATIC.replace("initLimit=10\n", ""), { [path]: DYNAMIC }),
    /initLimit is not set/,
  );
});

Deno.test("buildConfig() refuses what ZooKeeper refuses in and around a dynamic config file", () => {
  const path = "/etc/zookeeper/zoo.cfg.dynamic.100000000";
  const bad: Array<[string, Record<string, string>, RegExp]> = [
    // ZooKeeper: "parameter: server.1 must be in a separate dynamic config file".
    [
      STATIC + "server.1=zk1:2888:3888\n",
      { [path]: DYNAMIC },
      /^server.1 must be in the dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000, not in zoo.cfg/,
    ],
    [
      STATIC + "group.1=1:2:3\n",
      { [path]: DYNAMIC },
      /^group.1 must be in the dynamic config file/,
    ],
    [STATIC + "weight.1=1\n", { [path]: DYNAMIC }, /^weight.1 must be in the dynamic config file/],
    // ZooKeeper: FileNotFoundException.
    [STATIC, {}, /^dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000 does not exist/],
    // ZooKeeper: "dynamic file shouldn't have version inside".
    [
      STATIC,
      { [path]: DYNAMIC + "\nversion=100000000" },
      /^dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000 must not set version/,
    ],
    // ZooKeeper: "Unrecognised parameter: clientPort".
    [
      STATIC,
      { [path]: DYNAMIC + "\nclientPort=2181" },
      /^unknown key 'clientPort' in dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000/,
    ],
    [
      STATIC,
      { [path]: DYNAMIC.replace("zk3:2888:3888", "zk3:2888") },
      /^invalid value for server.3: 'zk3:2888:participant' .* in dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.100000000$/,
    ],
    [
      STATIC,
      { [path]: DYNAMIC + "\nserver.03=zk4:2888:3888" },
      /server.03: .*defined twice\) in dynamic config file/,
    ],
    [
      STATIC,
      { [path]: DYNAMIC + "\ngroup.1=1:2:3" },
      /group.1: .*hierarchical quorums.* in dynamic config file/,
    ],
    [
      STATIC,
      { [path]: "server.1=zk1:2888:3888:observer" },
      /^observers without participants: .* in dynamic config file/,
    ],
    // ZooKeeper: NumberFormatException for "ffffffffffffffff" (Long.toHexString(-1)).
    [
      STATIC.replace("dynamic.100000000", "dynamic.-1"),
      { "/etc/zookeeper/zoo.cfg.dynamic.-1": DYNAMIC },
      /^dynamic config file \/etc\/zookeeper\/zoo.cfg.dynamic.-1: the version in its name is a negative version$/,
    ],
    [
      STATIC.replace(/dynamicConfigFile=.*\n/, "dynamicConfigFile=\n"),
      {},
      /dynamicConfigFile: '' \(empty path\)/,
    ],
  ];
  for (const [text, files, re] of bad) throwsConfig(() => cfg(text, files), re);
});

Deno.test("versionFromFileName() reads the name as QuorumPeerConfig.getVersionFromFilename", () => {
  // Each checked against ZooKeeper 3.8.0's getVersionFromFilename.
  const cases: Array<[string, number]> = [
    ["zoo.cfg.dynamic.100000000", 0x100000000],
    ["/etc/zookeeper/zoo.cfg.dynamic.0", 0],
    ["zoo.cfg.dynamic", 0], // no hex suffix: version 0
    ["zoo.cfg.dynamic.", 0],
    ["dyn", 0],
    ["/etc/zk.d/dyn", 0], // the last '.' of the path, not of the file name
    ["zoo.dyn.bad", 0xbad], // any hex-looking suffix is a version
    ["zoo.cfg.dynamic.+10", 0x10],
    ["zoo.cfg.dynamic.-0", 0],
    ["zoo.cfg.dynamic.00000000000000001", 1], // 17 digits, but fits a long
    ["zoo.cfg.dynamic.10000000000000000", 0], // more than a long: no version
    ["zoo.cfg.dynamic.1FFFFFFFFFFFFF", 2 ** 53 - 1],
  ];
  for (const [name, version] of cases) assert.equal(versionFromFileName(name), version, name);
  throwsConfig(() => versionFromFileName("zoo.cfg.dynamic.-1"), /negative/);
  throwsConfig(() => versionFromFileName("zoo.cfg.dynamic.20000000000000"), /above 2\^53-1/);
});

Deno.test("buildConfig() reads a version= key of a static zoo.cfg, as QuorumMaj does", () => {
  const text = STATIC.replace(/dynamicConfigFile=.*\n/, "") +
    "server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n";
  assert.equal(cfg(text, {}).config.ensemble!.configVersion, 0);
  assert.equal(cfg(text + "version=abc\n", {}).config.ensemble!.configVersion, 0xabc);
  throwsConfig(
    () => cfg(text + "version=xyz\n", {}),
    /version: 'xyz' \(not a hexadecimal version\)/,
  );
  // With a dynamic file the name's version wins; ZooKeeper ignores the key silently.
  const dyn = cfg(STATIC + "version=5\n", { "/etc/zookeeper/zoo.cfg.dynamic.100000000": DYNAMIC });
  assert.equal(dyn.config.ensemble!.configVersion, 0x100000000);
  assert.match(dyn.config.warnings[0], /version=5 in zoo.cfg is ignored/);
  assert.equal(parseConfigVersion("version", " 100000000 "), 0x100000000);
});
