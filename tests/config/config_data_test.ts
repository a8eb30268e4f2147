/**
 * /zookeeper/config text: renderConfigData and parseConfigData. The expected strings are what
 * ZooKeeper 3.8.0's own QuorumServer.toString, QuorumMaj.toString and writeDynamicConfig
 * produced for the same lines (run with its jar).
 */

import assert from "node:assert/strict";
import { buildConfig, ConfigError, parseProperties } from "../../lib/config/config.ts";
import {
  dynamicConfigFileText,
  javaHostString,
  parseConfigData,
  renderConfigData,
  renderServer,
} from "../../lib/config/config_data.ts";
import { parseServerLine } from "../../lib/config/ensemble.ts";

Deno.test("renderServer() writes a server line as QuorumServer.toString", () => {
  const cases: Array<[string, string]> = [
    ["zk1:2888:3888", "zk1:2888:3888:participant"],
    ["zk1:2888:3888:observer;2181", "zk1:2888:3888:observer;0.0.0.0:2181"],
    ["127.0.0.1:2888:3888;127.0.0.1:2181", "127.0.0.1:2888:3888:participant;127.0.0.1:2181"],
    [
      "[::1]:2888:3888;[::1]:2181",
      "[0:0:0:0:0:0:0:1]:2888:3888:participant;[0:0:0:0:0:0:0:1]:2181",
    ],
    ["[fe80::1%2]:2888:3888", "[fe80:0:0:0:0:0:0:1%2]:2888:3888:participant"],
    ["127.1:2888:3888", "127.0.0.1:2888:3888:participant"],
    ["123:2888:3888", "0.0.0.123:2888:3888:participant"],
    ["010.1.1.1:1:2", "10.1.1.1:1:2:participant"],
    ["[::ffff:10.0.0.1]:2888:3888", "10.0.0.1:2888:3888:participant"],
    ["Zk1.Example.COM:2888:3888:PARTICIPANT", "Zk1.Example.COM:2888:3888:participant"],
    ["[2001:DB8::A:0:1]:1:2;[::]:3", "[2001:db8:0:0:0:a:0:1]:1:2:participant;[0:0:0:0:0:0:0:0]:3"],
    ["[::1.2.3.4]:1:2", "[0:0:0:0:0:0:102:304]:1:2:participant"],
    ["1e100.net:1:2", "1e100.net:1:2:participant"],
    ["[1:2:3:4:5:6:7::]:1:2", "[1:2:3:4:5:6:7:0]:1:2:participant"],
    ["zk1:2888:3888;0.0.0.0:2181", "zk1:2888:3888:participant;0.0.0.0:2181"],
  ];
  for (const [line, shown] of cases) {
    assert.equal(renderServer(parseServerLine("server.7", line)), shown, line);
  }
});

Deno.test("javaHostString() keeps what Java cannot parse as an address as written", () => {
  assert.equal(javaHostString("zk1"), "zk1");
  assert.equal(javaHostString("1.2.3.4.5"), "1.2.3.4.5");
  assert.equal(javaHostString("256.1.1.1"), "256.1.1.1");
  assert.equal(javaHostString("1:2"), "[1:2]");
  assert.equal(javaHostString("::"), "[0:0:0:0:0:0:0:0]");
});

Deno.test("renderConfigData() writes QuorumMaj.toString: lines by id, then the hex version", () => {
  const data = parseConfigData(
    "server.2=zk2:2888:3888\nserver.10=zk10:2888:3888:observer;2181\n" +
      "server.1=zk1:2888:3888;127.0.0.1:2181\nversion=100000000\n",
  );
  assert.equal(data.version, 0x100000000);
  const text = renderConfigData(data.members, data.version);
  assert.equal(
    text,
    "server.1=zk1:2888:3888:participant;127.0.0.1:2181\n" +
      "server.2=zk2:2888:3888:participant\n" +
      "server.10=zk10:2888:3888:observer;0.0.0.0:2181\n" +
      "version=100000000",
  );
  assert.deepEqual(parseConfigData(text), data);
  assert.equal(renderConfigData([], 0), "version=0");
  assert.throws(() => renderConfigData(data.members, -1), RangeError);
});

Deno.test("renderConfigData() leaves out a client address that came from clientPort (isClientAddrFromStatic)", () => {
  const config = buildConfig(
    parseProperties(`tickTime=2000
initLimit=10
syncLimit=5
dataDir=/d
clientPort=2181
clientPortAddress=127.0.0.1
server.1=zk1:2888:3888
server.2=zk2:2888:3888;2182
server.3=zk3:2888:3888:observer
`),
    { readMyId: () => "1" },
  );
  const e = config.ensemble!;
  assert.deepEqual([e.self.clientAddress, e.self.clientPort], ["127.0.0.1", 2181]);
  assert.equal(
    renderConfigData(e.members, e.configVersion),
    "server.1=zk1:2888:3888:participant\n" +
      "server.2=zk2:2888:3888:participant;0.0.0.0:2182\n" +
      "server.3=zk3:2888:3888:observer\n" +
      "version=0",
  );
});

Deno.test("parseConfigData() accepts only server.N and version, as configFromString does", () => {
  assert.deepEqual(parseConfigData(""), { members: [], version: 0 });
  const one = parseConfigData("server.3=zk3:1:2:observer;10.0.0.3:2181");
  assert.deepEqual(one.members, [{
    id: 3,
    host: "zk3",
    quorumPort: 1,
    electionPort: 2,
    role: "observer",
    clientAddress: "10.0.0.3",
    clientPort: 2181,
    clientAddressFromStatic: false,
  }]);
  assert.equal(one.version, 0);
  const bad: Array<[string, RegExp]> = [
    ["server.1=zk1:1:2\nclientPort=2181", /unknown key 'clientPort'/],
    ["server.1=zk1:1\n", /server.1: 'zk1:1'/],
    ["server.1=zk1:1:2\nserver.01=zk2:1:2", /server.01: .*defined twice/],
    ["group.1=1:2", /group.1: .*hierarchical/],
    ["server.1=zk1:1:2\nversion=xyz", /version: 'xyz' \(not a hexadecimal version\)/],
    ["version=-1", /version: '-1' \(a negative version\)/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseConfigData(text),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes("\n"),
      text,
    );
  }
});

Deno.test("dynamicConfigFileText() sorts the lines as strings and drops the version, as writeDynamicConfig", () => {
  const text = "server.1=zk1:2888:3888:participant;127.0.0.1:2181\n" +
    "server.2=zk2:2888:3888:participant\n" +
    "server.10=zk10:2888:3888:observer;0.0.0.0:2181\n" +
    "version=100000000";
  assert.equal(
    dynamicConfigFileText(text),
    "server.10=zk10:2888:3888:observer;0.0.0.0:2181\n" +
      "server.1=zk1:2888:3888:participant;127.0.0.1:2181\n" +
      "server.2=zk2:2888:3888:participant",
  );
  // The zoo.cfg.dynamic.next form keeps it.
  assert.equal(
    dynamicConfigFileText(text, true),
    "server.10=zk10:2888:3888:observer;0.0.0.0:2181\n" +
      "server.1=zk1:2888:3888:participant;127.0.0.1:2181\n" +
      "server.2=zk2:2888:3888:participant\n" +
      "version=100000000",
  );
});
