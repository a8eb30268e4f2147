/** zoo.cfg keys of the admin API and Prometheus /metrics, read as ZooKeeper 3.8 reads them. */

import assert from "node:assert/strict";
import {
  buildConfig,
  ConfigError,
  DEFAULT_ZOO_CFG,
  parseProperties,
  PROMETHEUS_PROVIDER,
} from "../../lib/config/config.ts";

const cfg = (text: string) => buildConfig(parseProperties(`dataDir=/d\nclientPort=2181\n${text}`));

Deno.test("buildConfig() has ZooKeeper's admin and metrics defaults", () => {
  const c = cfg("");
  assert.equal(c.adminServerEnabled, true);
  assert.equal(c.adminServerAddress, "0.0.0.0");
  assert.equal(c.adminServerPort, 8080);
  assert.equal(c.adminCommandUrl, "/commands");
  assert.equal(c.metricsPrometheusEnabled, false);
  assert.equal(c.metricsHttpHost, "0.0.0.0");
  assert.equal(c.metricsHttpPort, 7000);
});

Deno.test("buildConfig() reads admin.* and metricsProvider.* (zookeeper.-prefixed too)", () => {
  const c = cfg(
    "admin.enableServer=false\nzookeeper.admin.serverPort=9090\nadmin.serverAddress=127.0.0.1\n" +
      `admin.commandURL=/zk\nmetricsProvider.className=${PROMETHEUS_PROVIDER}\n` +
      "metricsProvider.httpHost=127.0.0.2\nmetricsProvider.httpPort=0\n" +
      "admin.idleTimeout=100\nmetricsProvider.exportJvmInfo=false\n",
  );
  assert.equal(c.adminServerEnabled, false);
  assert.equal(c.adminServerPort, 9090);
  assert.equal(c.adminServerAddress, "127.0.0.1");
  assert.equal(c.adminCommandUrl, "/zk");
  assert.equal(c.metricsPrometheusEnabled, true);
  assert.equal(c.metricsHttpHost, "127.0.0.2");
  assert.equal(c.metricsHttpPort, 0);
  // Jetty and JVM settings of the same families are ignored, with a reason.
  assert.deepEqual(c.ignored.map((i) => i.key).sort(), [
    "admin.idleTimeout",
    "metricsProvider.exportJvmInfo",
  ]);
});

Deno.test("only ZooKeeper's Prometheus provider serves /metrics; an unknown provider is an error", () => {
  for (const name of ["DefaultMetricsProvider", "NullMetricsProvider"]) {
    const c = cfg(`metricsProvider.className=org.apache.zookeeper.metrics.impl.${name}\n`);
    assert.equal(c.metricsPrometheusEnabled, false, name);
  }
  assert.throws(
    () => cfg("metricsProvider.className=com.example.Mine\n"),
    (e: Error) =>
      e instanceof ConfigError &&
      /^invalid value for metricsProvider\.className: 'com\.example\.Mine'/.test(e.message),
  );
  assert.throws(() => cfg("admin.serverPort=70000\n"), /admin\.serverPort: '70000'/);
  assert.throws(() => cfg("metricsProvider.httpPort=x\n"), /metricsProvider\.httpPort: 'x'/);
  assert.throws(() => cfg("admin.enableServer=maybe\n"), /admin\.enableServer: 'maybe'/);
});

Deno.test("the embedded default config serves the admin API on loopback only", () => {
  const c = buildConfig(parseProperties(DEFAULT_ZOO_CFG));
  assert.equal(c.adminServerEnabled, true);
  assert.equal(c.adminServerAddress, "127.0.0.1");
});
