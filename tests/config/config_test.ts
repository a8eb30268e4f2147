/** zoo.cfg parsing: ZooKeeper's defaults, ignored JVM keys, one clear error per bad value. */

import assert from "node:assert/strict";
import { buildConfig, ConfigError, parseProperties } from "../../lib/config/config.ts";

const cfg = (text: string) => buildConfig(parseProperties(text));

Deno.test("buildConfig() applies ZooKeeper's defaults", () => {
  const c = cfg("dataDir=/var/zk\nclientPort=2181\n");
  assert.equal(c.tickMs, 3000);
  assert.equal(c.minSessionTimeoutMs, 6000);
  assert.equal(c.maxSessionTimeoutMs, 60000);
  assert.equal(c.maxClientCnxns, 60);
  assert.equal(c.frameBytesMax, 0xfffff);
  assert.equal(c.dataLogDir, "/var/zk");
  assert.equal(c.clientPortAddress, "0.0.0.0");
  assert.deepEqual([...c.fourLetterWhitelist], ["srvr"]);
  assert.equal(c.extendedTypesEnabled, false);
  assert.equal(c.containerCheckIntervalMs, 60000);
});

Deno.test("buildConfig() reads the keys zkd knows, both superDigest spellings", () => {
  const text = `# a zoo.cfg written for Apache ZooKeeper
tickTime = 2000
dataDir=/d
dataLogDir=/l
clientPort=2182
clientPortAddress=127.0.0.1
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=9000
4lw.commands.whitelist=ruok, mntr ,stat
jute.maxbuffer=2000000
extendedTypesEnabled=true
znode.container.checkIntervalMs=500
zookeeper.DigestAuthenticationProvider.superDigest=super:xQJmxLMiHGwaqBvst5y6rkB6HQs=
admin.enableServer=false
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
initLimit=5
server.1=127.0.0.1:2888:3888
`;
  const c = cfg(text);
  assert.equal(c.tickMs, 2000);
  assert.equal(c.clientPort, 2182);
  assert.equal(c.maxClientCnxns, 0);
  assert.equal(c.minSessionTimeoutMs, 1000);
  assert.equal(c.maxSessionTimeoutMs, 9000);
  assert.deepEqual([...c.fourLetterWhitelist].sort(), ["mntr", "ruok", "srvr", "stat"]);
  assert.equal(c.frameBytesMax, 2000000);
  assert.equal(c.extendedTypesEnabled, true);
  assert.equal(c.containerCheckIntervalMs, 500);
  assert.equal(c.superDigest, "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=");
  // initLimit and a single server.N line are read (ensemble.ts): one server runs standalone.
  assert.deepEqual(c.ignored.map((i) => i.key).sort(), ["authProvider.1"]);
  assert.equal(c.adminServerEnabled, false);
  assert.equal(c.ensemble, null);
  assert.equal(
    cfg("dataDir=/d\nclientPort=1\nDigestAuthenticationProvider.superDigest=a:b=").superDigest,
    "a:b=",
  );
});

Deno.test("buildConfig() names the key and value of an invalid setting", () => {
  const bad: Array<[string, RegExp]> = [
    ["dataDir=/d\nclientPort=abc", /clientPort: 'abc'/],
    ["dataDir=/d\nclientPort=70000", /clientPort: '70000'/],
    ["dataDir=/d\nclientPort=1\ntickTime=0", /tickTime: '0'/],
    [
      "dataDir=/d\nclientPort=1\nminSessionTimeout=9000\nmaxSessionTimeout=100",
      /minSessionTimeout/,
    ],
    ["dataDir=/d\nclientPort=1\nextendedTypesEnabled=maybe", /extendedTypesEnabled: 'maybe'/],
    ["dataDir=/d\nclientPort=1\n4lw.commands.whitelist=ruok,toolong", /whitelist/],
    ["clientPort=1", /dataDir is not set/],
    ["dataDir=/d", /clientPort is not set/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => cfg(text), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  }
});

Deno.test("autopurge.purgeInterval counts hours, or takes a unit suffix as ZooKeeper 3.10", () => {
  const base = "dataDir=/d\nclientPort=1\n";
  assert.equal(cfg(base).autopurgePurgeIntervalMs, 0);
  assert.equal(cfg(base + "autopurge.purgeInterval=2").autopurgePurgeIntervalMs, 7_200_000);
  assert.equal(cfg(base + "autopurge.purgeInterval=30s").autopurgePurgeIntervalMs, 30_000);
  assert.equal(cfg(base + "autopurge.purgeInterval=500ms").autopurgePurgeIntervalMs, 500);
  assert.throws(
    () => cfg(base + "autopurge.purgeInterval=soon"),
    /autopurge.purgeInterval: 'soon'/,
  );
  assert.equal(cfg(base + "autopurge.snapRetainCount=1").autopurgeSnapRetainCount, 3, "minimum 3");
});
