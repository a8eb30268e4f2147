/**
 * zkd's version, and the ZooKeeper version it reports to clients and tools. Tools parse the
 * leading "3.8.4" (kazoo's server_version(), zkServer.sh), so zkd reports the ZooKeeper
 * release whose behaviour it implements, tagged with its own version.
 */

export const VERSION = "0.1.0";
export const ZOOKEEPER_COMPAT_VERSION = "3.8.4";
export const VERSION_LINE =
  `${ZOOKEEPER_COMPAT_VERSION}-zkd-${VERSION}, built on 2026-11-24 00:00 UTC`;
