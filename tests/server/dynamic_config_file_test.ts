/**
 * persistDynamicConfig: the files ZooKeeper 3.8 writes when a configuration is committed
 * (zoo.cfg.dynamic.<version>, the edited zoo.cfg), written atomically through Storage, and
 * read back by buildConfig to the same membership and version.
 */

import assert from "node:assert/strict";
import { buildConfig, type Config, ConfigError, parseProperties } from "../../lib/config/config.ts";
import { parseConfigData, renderConfigData } from "../../lib/config/config_data.ts";
import { editStaticConfig, persistDynamicConfig } from "../../lib/server/dynamic_config_file.ts";
import { loadConfig } from "../../lib/cli/start.ts";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import type { Storage } from "../../lib/storage/storage.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const CFG = "/etc/zookeeper/zoo.cfg";

const STATIC = `# zoo.cfg of a three-server ensemble
tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
reconfigEnabled=true
4lw.commands.whitelist=*
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`;

function storageWith(files: Record<string, string>): MemoryStorage {
  const storage = new MemoryStorage();
  for (const [path, text] of Object.entries(files)) {
    storage.mkdirp(path.slice(0, path.lastIndexOf("/")));
    const f = storage.open(path, { create: true });
    f.writeAt(0, encoder.encode(text));
    f.close();
  }
  return storage;
}

const text = (storage: MemoryStorage, path: string) => decoder.decode(storage.contentOf(path));
const durable = (storage: MemoryStorage, path: string) =>
  decoder.decode(storage.durableContentOf(path));

/** Starts from `cfgPath` as `zkd start` would, with `storage` as the file system. */
function load(storage: Storage, myId: number, cfgPath = CFG): Config {
  const read = (path: string) => {
    if (!storage.exists(path)) return null;
    const f = storage.open(path);
    try {
      return decoder.decode(f.readAt(0, f.size()));
    } finally {
      f.close();
    }
  };
  return buildConfig(parseProperties(read(cfgPath)!), {
    readMyId: () => `${myId}`,
    readConfigFile: read,
  });
}

Deno.test("persistDynamicConfig() round trip: static zoo.cfg -> dynamic file -> same members and version", async () => {
  const storage = storageWith({ [CFG]: STATIC });
  const before = load(storage, 1).ensemble!;
  assert.equal(before.configVersion, 0);

  // ZooKeeper's first leader bumps version 0 to its NEWLEADER zxid and writes the files.
  const version = 0x100000000;
  const configText = renderConfigData(before.members, version);
  assert.equal(
    configText,
    "server.1=zk1:2888:3888:participant\nserver.2=zk2:2888:3888:participant\n" +
      "server.3=zk3:2888:3888:participant\nversion=100000000",
  );
  const done = await persistDynamicConfig(storage, CFG, configText, version, { myId: 1 });

  const dynamicPath = "/etc/zookeeper/zoo.cfg.dynamic.100000000";
  assert.equal(done.dynamicConfigFile, dynamicPath);
  assert.equal(
    durable(storage, dynamicPath),
    "server.1=zk1:2888:3888:participant\nserver.2=zk2:2888:3888:participant\n" +
      "server.3=zk3:2888:3888:participant",
  );
  // Own line without a client part: clientPort stays in zoo.cfg (nothing to erase).
  assert.equal(
    durable(storage, CFG),
    "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zookeeper\nclientPort=2181\n" +
      "reconfigEnabled=true\n4lw.commands.whitelist=*\n" +
      `dynamicConfigFile=${dynamicPath}\n`,
  );
  assert.equal(done.staticText, durable(storage, CFG));
  // The backup ZooKeeper keeps of a static-only zoo.cfg.
  assert.equal(durable(storage, `${CFG}.bak`), STATIC);
  assert.deepEqual(storage.list("/etc/zookeeper"), [
    "zoo.cfg",
    "zoo.cfg.bak",
    "zoo.cfg.dynamic.100000000",
  ]);

  // Every member restarts with the membership the static zoo.cfg gave it, at the new version.
  const staticOnly = storageWith({ [CFG]: STATIC });
  for (const id of [1, 2, 3]) {
    const after = load(storage, id);
    assert.deepEqual(after.ensemble!.members, load(staticOnly, id).ensemble!.members);
    assert.equal(after.ensemble!.configVersion, version);
    assert.equal(after.ensemble!.dynamicConfigFile, dynamicPath);
    assert.equal(after.clientPort, 2181);
    assert.equal(renderConfigData(after.ensemble!.members, version), configText);
  }
});

Deno.test("persistDynamicConfig() after a reconfig: new file, old one kept, clientPort erased when the own line has one", async () => {
  const storage = storageWith({ [CFG]: STATIC });
  const first = load(storage, 2).ensemble!;
  await persistDynamicConfig(
    storage,
    CFG,
    renderConfigData(first.members, 0x100000000),
    0x100000000,
    { myId: 2 },
  );

  // reconfig -add server.4 (observer) and give server.2 a client address: version 0x100000003.
  const configText = "server.1=zk1:2888:3888:participant\n" +
    "server.2=zk2:2888:3888:participant;0.0.0.0:2181\n" +
    "server.3=zk3:2888:3888:participant\n" +
    "server.4=zk4:2888:3888:observer;0.0.0.0:2181\n" +
    "version=100000003";
  await persistDynamicConfig(storage, CFG, configText, 0x100000003, { myId: 2 });
  assert.deepEqual(storage.list("/etc/zookeeper"), [
    "zoo.cfg",
    "zoo.cfg.bak",
    "zoo.cfg.dynamic.100000000",
    "zoo.cfg.dynamic.100000003",
  ]);
  // QuorumPeer.needEraseClientInfoFromStaticConfig: server.2's line now has the client address.
  assert.equal(
    durable(storage, CFG),
    "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zookeeper\n" +
      "reconfigEnabled=true\n4lw.commands.whitelist=*\n" +
      "dynamicConfigFile=/etc/zookeeper/zoo.cfg.dynamic.100000003\n",
  );
  // The .bak is not overwritten once zoo.cfg points at a dynamic file.
  assert.equal(durable(storage, `${CFG}.bak`), STATIC);

  const after = load(storage, 2);
  assert.equal(after.ensemble!.configVersion, 0x100000003);
  assert.equal(after.clientPort, 2181);
  assert.equal(after.ensemble!.self.clientAddressFromStatic, false);
  assert.deepEqual(after.ensemble!.members, parseConfigData(configText).members);
  assert.equal(renderConfigData(after.ensemble!.members, 0x100000003), configText);

  // Member 1 (no client part in its line) keeps its clientPort key.
  const storage1 = storageWith({ [CFG]: STATIC });
  await persistDynamicConfig(storage1, CFG, configText, 0x100000003, { myId: 1 });
  assert.match(durable(storage1, CFG), /\nclientPort=2181\n/);
  assert.equal(load(storage1, 1).ensemble!.configVersion, 0x100000003);
  // A removed member keeps it too.
  const storage5 = storageWith({ [CFG]: STATIC });
  await persistDynamicConfig(storage5, CFG, configText, 0x100000003, { myId: 5 });
  assert.match(durable(storage5, CFG), /\nclientPort=2181\n/);
});

Deno.test("editStaticConfig() drops the keys ZooKeeper's editStaticConfig drops, prefixes included", () => {
  // Checked against ZooKeeper 3.8.0's editStaticConfig(..., eraseClientPortAddress = true),
  // which wrote dataDir, tickTime, initLimit, syncLimit, dynamicConfigFile (in hash order).
  const before = "# comment\ntickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\n" +
    "clientPort=2181\nclientPortAddress=127.0.0.1\nclientPortListenBacklog=5\n" +
    "peerType=participant\nweightless=1\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n" +
    "dynamicConfigFile=/d/zoo.cfg.dynamic.1\n";
  assert.equal(
    editStaticConfig(before, "/d/zoo.cfg.dynamic.100000000", true),
    "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\n" +
      "dynamicConfigFile=/d/zoo.cfg.dynamic.100000000\n",
  );
  assert.equal(
    editStaticConfig(before, "/d/zoo.cfg.dynamic.100000000", false),
    "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\n" +
      "clientPort=2181\nclientPortAddress=127.0.0.1\nclientPortListenBacklog=5\n" +
      "dynamicConfigFile=/d/zoo.cfg.dynamic.100000000\n",
  );
});

Deno.test("persistDynamicConfig() writes atomically: a crash leaves the old or the new config, whole", async () => {
  /** A disk holding a durable STATIC zoo.cfg, whose syncs wait for completeSyncs(). */
  const durableDisk = async () => {
    const disk = new MemoryStorage({ manualSync: true });
    disk.mkdirp("/etc/zookeeper");
    const f = disk.open(CFG, { create: true });
    f.writeAt(0, encoder.encode(STATIC));
    const synced = Promise.all([f.sync(), disk.syncDir("/etc/zookeeper")]);
    disk.completeSyncs();
    await synced;
    f.close();
    return disk;
  };
  const turn = () => new Promise((r) => setTimeout(r, 0));
  const storage = await durableDisk();
  const members = load(storage, 1).ensemble!.members;
  const configText = renderConfigData(members, 0x100000000);

  // Crash after each number of completed syncs: zoo.cfg is always whole, old or new.
  const seen = new Set<number>();
  for (let step = 0; step < 12; step++) {
    const disk = await durableDisk();
    persistDynamicConfig(disk, CFG, configText, 0x100000000, { myId: 1 }).catch(() => {});
    for (let i = 0; i < step; i++) {
      await turn();
      disk.completeSyncs();
    }
    const config = load(disk.crash(), 1);
    assert.deepEqual(config.ensemble!.members, members);
    seen.add(config.ensemble!.configVersion);
  }
  assert.deepEqual([...seen].sort(), [0, 0x100000000]);

  // Without a crash every file is durable when the promise resolves.
  const writing = persistDynamicConfig(storage, CFG, configText, 0x100000000, { myId: 1 });
  let resolved = false;
  writing.then(() => resolved = true);
  while (!resolved) {
    storage.completeSyncs();
    await turn();
  }
  const after = storage.crash();
  assert.equal(load(after, 1).ensemble!.configVersion, 0x100000000);
  assert.equal(
    durable(after, "/etc/zookeeper/zoo.cfg.dynamic.100000000"),
    text(after, "/etc/zookeeper/zoo.cfg.dynamic.100000000"),
  );
  assert.ok(!after.exists(`${CFG}.tmp`));
});

Deno.test("persistDynamicConfig() removes a zoo.cfg.dynamic.next that is not newer, keeps a newer one", async () => {
  const next = `${CFG}.dynamic.next`;
  const configText = "server.1=zk1:2888:3888:participant\nserver.2=zk2:2888:3888:participant\n" +
    "server.3=zk3:2888:3888:participant\nversion=100000002";
  const storage = storageWith({ [CFG]: STATIC, [next]: configText });
  await persistDynamicConfig(storage, CFG, configText, 0x100000002, { myId: 1 });
  assert.ok(!storage.exists(next));

  const newer = storageWith({
    [CFG]: STATIC,
    [next]: configText.replace("100000002", "100000005"),
  });
  await persistDynamicConfig(newer, CFG, configText, 0x100000002, { myId: 1 });
  assert.ok(newer.exists(next));
});

Deno.test("persistDynamicConfig() resolves a relative zoo.cfg path and refuses bad input", async () => {
  const storage = storageWith({ [CFG]: STATIC });
  const configText = "server.1=zk1:2888:3888:participant\nserver.2=zk2:2888:3888:participant\n" +
    "server.3=zk3:2888:3888:participant";
  const done = await persistDynamicConfig(storage, "zookeeper/./zoo.cfg", configText, 0x200000000, {
    myId: 1,
    cwd: "/etc/x/..",
  });
  assert.equal(done.dynamicConfigFile, "/etc/zookeeper/zoo.cfg.dynamic.200000000");
  assert.match(
    durable(storage, CFG),
    /\ndynamicConfigFile=\/etc\/zookeeper\/zoo.cfg.dynamic.200000000\n$/,
  );

  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    await assert.rejects(p, (e: unknown) => e instanceof ConfigError && re.test(e.message));
  };
  await rejects(
    persistDynamicConfig(storage, CFG, configText + "\nversion=5", 6, { myId: 1 }),
    /version=5, expected 6/,
  );
  await rejects(
    persistDynamicConfig(storage, CFG, "server.1=zk1:2888", 6, { myId: 1 }),
    /server.1: 'zk1:2888'/,
  );
  await rejects(
    persistDynamicConfig(storage, "/nowhere/zoo.cfg", configText, 6, { myId: 1 }),
    /cannot rewrite \/nowhere\/zoo.cfg: it does not exist/,
  );
  await assert.rejects(persistDynamicConfig(storage, CFG, configText, -1, { myId: 1 }), RangeError);
});

Deno.test("persistDynamicConfig() on the real file system, read back by zkd start's loadConfig", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zkd-dyncfg-" });
  try {
    const cfgPath = `${dir}/zoo.cfg`;
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/myid`, "3\n");
    await Deno.writeTextFile(cfgPath, STATIC.replace("/var/lib/zookeeper", `${dir}/data`));
    const before = loadConfig(cfgPath).ensemble!;
    const configText = renderConfigData(before.members, 0x300000000);
    await persistDynamicConfig(new DenoStorage(), cfgPath, configText, 0x300000000, { myId: 3 });
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "data",
      "zoo.cfg",
      "zoo.cfg.bak",
      "zoo.cfg.dynamic.300000000",
    ]);
    const after = loadConfig(cfgPath).ensemble!;
    assert.deepEqual(after.members, before.members);
    assert.equal(after.configVersion, 0x300000000);
    assert.equal(after.dynamicConfigFile, `${dir}/zoo.cfg.dynamic.300000000`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
