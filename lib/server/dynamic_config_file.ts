/**
 * Persisting a committed configuration the way Apache ZooKeeper 3.8 does
 * (QuorumPeer.setQuorumVerifier with writeToDisk, QuorumPeerConfig.writeDynamicConfig and
 * editStaticConfig), so a restarted member reads the current membership, and so an operator
 * finds the files ZooKeeper would have written:
 *
 * 1. `<zoo.cfg>.dynamic.<version in hex>` gets the server lines (no version line: the name
 *    carries it), sorted as strings, written atomically.
 * 2. zoo.cfg is rewritten atomically without its server.N, group*, weight*, peerType and old
 *    dynamicConfigFile keys, plus clientPort* (which covers clientPortAddress, and
 *    clientPortListenBacklog too, as ZooKeeper's prefix test does) when this server's line in
 *    the new configuration has its own client part; then `dynamicConfigFile=<absolute path>`
 *    is appended. Comments go, as they do when ZooKeeper rewrites the file; the other keys
 *    keep their order (ZooKeeper's order is a hash table's).
 * 3. Older `zoo.cfg.dynamic.*` files are kept, as in ZooKeeper: until zoo.cfg is replaced it
 *    still points at the previous one, so a crash between the two writes leaves a complete
 *    older configuration.
 * 4. A `zoo.cfg.dynamic.next` (ZooKeeper's file for a proposed, uncommitted configuration)
 *    whose version is not newer than the committed one is removed, as ZooKeeper does.
 * 5. The first time (zoo.cfg has no dynamicConfigFile yet) zoo.cfg is first copied to
 *    `zoo.cfg.bak`, the backup ZooKeeper makes of a static-only zoo.cfg (it does so at every
 *    start with reconfigEnabled=true; the content is the same).
 *
 * Every write is atomic: `<file>.tmp`, fsync, rename, directory fsync. Calls must not overlap
 * (the caller persists one committed configuration after another).
 */

import { ConfigError, parseProperties } from "../config/config.ts";
import { dynamicConfigFileText, parseConfigData } from "../config/config_data.ts";
import { parseConfigVersion } from "../config/ensemble.ts";
import type { Storage } from "../storage/storage.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PersistOptions {
  /** This server's id: whether its own line has a client part decides clientPort's fate. */
  readonly myId: number;
  /** Resolves a relative zoo.cfg path (default: the process's working directory). */
  readonly cwd?: string;
}

export interface PersistedConfig {
  /** The absolute path of the dynamic config file written (what zoo.cfg now points at). */
  readonly dynamicConfigFile: string;
  /** Its content. */
  readonly dynamicText: string;
  /** The new content of zoo.cfg. */
  readonly staticText: string;
}

/** `<zoo.cfg>.dynamic.<hex>`: the name ZooKeeper gives a version's dynamic config file. */
export function dynamicConfigFileName(cfgPath: string, version: number): string {
  return `${cfgPath}.dynamic.${version.toString(16)}`;
}

/** `<zoo.cfg>.dynamic.next`: ZooKeeper's file for a proposed, not yet committed configuration. */
export function nextDynamicConfigFileName(cfgPath: string): string {
  return `${cfgPath}.dynamic.next`;
}

/**
 * zoo.cfg's text after a configuration was committed (QuorumPeerConfig.editStaticConfig):
 * every key except the quorum ones (and clientPort* with `eraseClientPort`) as `key=value`,
 * then `dynamicConfigFile=<dynamicPath>`.
 */
export function editStaticConfig(
  staticText: string,
  dynamicPath: string,
  eraseClientPort: boolean,
): string {
  let out = "";
  for (const [key, value] of parseProperties(staticText)) {
    if (
      key.startsWith("server.") || key.startsWith("group") || key.startsWith("weight") ||
      key.startsWith("dynamicConfigFile") || key.startsWith("peerType") ||
      (eraseClientPort && key.startsWith("clientPort"))
    ) {
      continue;
    }
    out += `${key}=${value}\n`;
  }
  return out + `dynamicConfigFile=${dynamicPath}\n`;
}

/**
 * Persists a committed configuration: `configText` is what /zookeeper/config holds
 * (server.N lines, then `version=<hex>`; the version line may be left out), `version` its
 * version, `cfgPath` the zoo.cfg this server was started with. Resolves once every file
 * written is durable. Throws ConfigError when configText does not parse, when its version
 * line disagrees with `version`, or when zoo.cfg does not exist.
 */
export async function persistDynamicConfig(
  storage: Storage,
  cfgPath: string,
  configText: string,
  version: number,
  options: PersistOptions,
): Promise<PersistedConfig> {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new RangeError(`config version ${version} is not a non-negative safe integer`);
  }
  const data = parseConfigData(configText);
  const hasVersion = parseProperties(configText).has("version");
  if (hasVersion && data.version !== version) {
    throw new ConfigError(
      `config data has version=${data.version.toString(16)}, expected ${version.toString(16)}`,
    );
  }
  const path = absolutePath(cfgPath, options.cwd);
  if (!storage.exists(path)) {
    throw new ConfigError(`cannot rewrite ${path}: it does not exist`);
  }
  const staticText = readText(storage, path);

  if (!parseProperties(staticText).has("dynamicConfigFile")) {
    await writeFileAtomic(storage, `${path}.bak`, staticText);
  }
  const dynamicPath = dynamicConfigFileName(path, version);
  const dynamicText = dynamicConfigFileText(configText);
  await writeFileAtomic(storage, dynamicPath, dynamicText);

  // QuorumPeer.needEraseClientInfoFromStaticConfig: a configuration read from text never has
  // a client address "from static", so only whether the own line has a client part counts.
  const self = data.members.find((m) => m.id === options.myId);
  const erase = self !== undefined && self.clientPort !== null;
  const newStatic = editStaticConfig(staticText, dynamicPath, erase);
  await writeFileAtomic(storage, path, newStatic);

  const next = nextDynamicConfigFileName(path);
  if (storage.exists(next)) {
    const nextVersion = versionOf(readText(storage, next));
    if (nextVersion !== null && nextVersion <= version) {
      storage.remove(next);
      await storage.syncDir(dirOf(next));
    }
  }
  return { dynamicConfigFile: dynamicPath, dynamicText, staticText: newStatic };
}

/** The version line of a dynamic config text, or null when it has none or a bad one. */
function versionOf(text: string): number | null {
  const v = parseProperties(text).get("version");
  if (v === undefined) return null;
  try {
    return parseConfigVersion("version", v);
  } catch {
    return null;
  }
}

function readText(storage: Storage, path: string): string {
  const file = storage.open(path);
  try {
    return decoder.decode(file.readAt(0, file.size()));
  } finally {
    file.close();
  }
}

/** Replaces `path` atomically: `<path>.tmp`, fsync, rename, directory fsync. */
async function writeFileAtomic(storage: Storage, path: string, text: string): Promise<void> {
  const tempPath = `${path}.tmp`;
  const file = storage.open(tempPath, { create: true });
  try {
    file.truncate(0);
    file.writeAt(0, encoder.encode(text));
    await file.sync();
  } finally {
    file.close();
  }
  storage.rename(tempPath, path);
  await storage.syncDir(dirOf(path));
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * The absolute, normalized form of `path` (ZooKeeper writes File.getCanonicalPath; symbolic
 * links are not resolved here).
 */
function absolutePath(path: string, cwd: string | undefined): string {
  const full = path.startsWith("/") ? path : `${cwd ?? Deno.cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}
