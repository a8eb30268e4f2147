// Starts the real Apache ZooKeeper 3.8 server from Debian's `zookeeper` package, the reference
// implementation every differential test compares zkd with.
//
// We run the JVM directly instead of zkServer.sh: the script wants /etc/zookeeper/conf, a log
// dir under /var and a pid file, and it starts the quorum main class. Debian's zookeeper.jar
// carries a manifest Class-Path naming all its dependency jars (netty, jute, slf4j, ...), so
// zookeeper.jar plus an slf4j binding is a complete classpath.

import { spawnLogged } from "./procs.ts";
import {
  makeHandle,
  prepareDirs,
  type ServerHandle,
  type ServerOptions,
  waitUntilServing,
} from "./server.ts";

const JAVA_DIR = "/usr/share/java";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The classpath for the Apache ZooKeeper server and Java client: Debian's zookeeper.jar (whose
 * manifest pulls in the rest) plus slf4j-simple, so that log output goes to stderr at a level
 * we choose instead of slf4j's "no binding" warning and silence. Returns undefined when the
 * Debian package is not installed.
 */
export function zkClasspath(): string | undefined {
  const zkJar = `${JAVA_DIR}/zookeeper.jar`;
  const juteJar = `${JAVA_DIR}/zookeeper-jute.jar`;
  if (!exists(zkJar) || !exists(juteJar)) return undefined;
  const parts = [zkJar, juteJar];
  const slf4jSimple = `${JAVA_DIR}/slf4j-simple.jar`;
  if (exists(slf4jSimple)) parts.push(slf4jSimple);
  return parts.join(":");
}

export function javaPath(): string | undefined {
  for (const p of ["/usr/bin/java", "/usr/lib/jvm/default-java/bin/java"]) {
    if (exists(p)) return p;
  }
  return undefined;
}

/** True when Debian's Apache ZooKeeper jars and a java binary are installed. */
export function apacheZkAvailable(): boolean {
  return zkClasspath() !== undefined && javaPath() !== undefined;
}

/**
 * JVM flags that make a small, quiet, fast-starting JVM. C1-only JIT and serial GC cut startup
 * time on a 2-core machine; CDS (class data sharing) is on by default in JDK 17.
 */
export const FAST_JVM_FLAGS = [
  "-Xms32m",
  "-Xmx256m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
  "-Xss512k",
  "-Djava.awt.headless=true",
  "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
  "-Dorg.slf4j.simpleLogger.showDateTime=true",
];

/** A SHA-1 digest user and its `superDigest` value (user "super", password "admin"). */
export const SUPER_DIGEST = "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=";

/**
 * Starts Apache ZooKeeper standalone (`ZooKeeperServerMain`) on a free loopback port with a fresh
 * dataDir. The AdminServer (Jetty on 8080) is disabled, all 4lw are whitelisted, and every
 * opts.cfg key is also passed as a `-Dzookeeper.<key>` property (zoo.cfg does this itself for
 * unknown keys; doing it on the command line too makes keys such as
 * `DigestAuthenticationProvider.superDigest` take effect however the config parser treats them).
 */
export async function startApacheZk(opts: ServerOptions = {}): Promise<ServerHandle> {
  const cp = zkClasspath();
  const java = javaPath();
  if (!cp || !java) {
    throw new Error(
      "Apache ZooKeeper is not installed: apt-get install -y zookeeper (needs /usr/share/java/zookeeper.jar and java)",
    );
  }
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const dirs = await prepareDirs("apache-zk-interop-", opts);
  const props = Object.entries(opts.cfg ?? {}).map(([k, v]) => `-Dzookeeper.${k}=${v}`);
  const proc = spawnLogged([
    java,
    ...FAST_JVM_FLAGS,
    "-Dzookeeper.admin.enableServer=false",
    "-Dzookeeper.4lw.commands.whitelist=*",
    "-Dzookeeper.jmx.log4j.disable=true",
    ...props,
    "-cp",
    cp,
    "org.apache.zookeeper.server.ZooKeeperServerMain",
    dirs.cfgPath,
  ], { logPath: dirs.logPath, cwd: dirs.baseDir });
  await waitUntilServing("apache-zk", proc, dirs.port, startTimeoutMs);
  return makeHandle("apache-zk", dirs, proc);
}
