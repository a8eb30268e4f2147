/**
 * `zkd cli` commands beyond the basic zkCli set, in-process through runCli against the test
 * server: --json for every command, --format, tree, export/import, watch, deleteall, config,
 * history/redo and the argument checks zkCli makes.
 */

import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/cli.ts";
import { ZkClient } from "../../lib/client/client.ts";
import { freshPath, startTestServer, within } from "../client/test_server.ts";
import { scriptedIo } from "./scripted_io.ts";

const server = await startTestServer();
const S = server.connectString;

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function shell(
  args: string[],
  input: string[] = [],
  onCommand?: (n: number, interrupt: () => void) => void,
): Promise<Run> {
  const s = scriptedIo(input, { onCommand });
  const code = await within(30_000, `cli ${args.join(" ")}`, runCli(["-server", S, ...args], s.io));
  return { code, out: withoutNoise(s.out), err: s.err };
}

/** The interactive banner and zkCli's asynchronous "\nWATCHER::\n\nWatchedEvent ..." blocks. */
function withoutNoise(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "" && lines[i + 1] === "WATCHER::" && lines[i + 2] === "") {
      i += 3;
      continue;
    }
    if (/^(Connecting to |Welcome to ZooKeeper!$)/.test(lines[i])) continue;
    out.push(lines[i]);
  }
  return out;
}

function parseAll(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      throw new Error(`not a JSON line: ${l}`);
    }
  });
}

async function withClient<T>(work: (zk: ZkClient) => Promise<T>): Promise<T> {
  const zk = await ZkClient.connect({ hosts: S });
  try {
    return await work(zk);
  } finally {
    await zk.close();
  }
}

Deno.test("--json prints one JSON document per command and JSON errors on stderr", async () => {
  const p = freshPath("json");
  const script = [
    `create ${p} hello`,
    `create -e ${p}/eph`,
    `get ${p}`,
    `get --format base64 ${p}`,
    `ls -s ${p}`,
    `ls -R ${p}`,
    `stat ${p}`,
    `set ${p} world`,
    `getAcl ${p}`,
    `setAcl ${p} world:anyone:cdrwa`,
    `sync ${p}`,
    `getAllChildrenNumber ${p}`,
    `getEphemerals ${p}`,
    `whoami`,
    `addWatch -m PERSISTENT ${p}`,
    `removewatches ${p}`,
    `printwatches`,
    `config`,
    `history`,
    `version`,
    `tree ${p}`,
    `delete ${p}/eph`,
    `deleteall ${p}`,
    `get ${p}`,
    `frobnicate`,
    `help`,
  ];
  const r = await shell(["--json"], script);
  assert.equal(r.code, 0); // the exit code is the last command's (help)
  const docs = parseAll(r.out);
  const errors = parseAll(r.err);
  // Every command but the two failing ones printed exactly one document.
  assert.equal(docs.length, script.length - 2, r.out.join("\n"));
  const [
    create,
    createEph,
    get,
    get64,
    ls,
    lsR,
    stat,
    set,
    getAcl,
    setAcl,
    sync,
    count,
    ephemerals,
    whoami,
    addWatch,
    removeWatches,
    printWatches,
    config,
    history,
    version,
    tree,
    del,
    deleteAll,
  ] = docs;
  assert.deepEqual(create, { path: p });
  assert.deepEqual(createEph, { path: `${p}/eph` });
  assert.equal(get.data, "hello");
  assert.equal(get.format, "text");
  assert.equal((get.stat as Record<string, unknown>).dataLength, 5);
  assert.equal(get64.data, "aGVsbG8=");
  assert.deepEqual(ls.children, ["eph"]);
  assert.equal((ls.stat as Record<string, unknown>).numChildren, 1);
  assert.deepEqual(lsR, { path: p, paths: [p, `${p}/eph`] });
  assert.equal((stat.stat as Record<string, unknown>).version, 0);
  assert.equal((set.stat as Record<string, unknown>).version, 1);
  assert.deepEqual(getAcl.acl, [{ scheme: "world", id: "anyone", perms: "cdrwa" }]);
  assert.equal((setAcl.stat as Record<string, unknown>).aversion, 1);
  assert.deepEqual(sync, { path: p });
  assert.deepEqual(count, { path: p, count: 1 });
  assert.deepEqual(ephemerals, { path: p, ephemerals: [`${p}/eph`] });
  assert.deepEqual(whoami, { ids: [{ scheme: "ip", user: "127.0.0.1" }] });
  assert.deepEqual(addWatch, { path: p, mode: "PERSISTENT" });
  assert.deepEqual(removeWatches, { path: p, type: "any" });
  assert.deepEqual(printWatches, { printwatches: "on" });
  assert.equal(typeof config.config, "string");
  assert.equal((history.history as unknown[]).length, 11);
  assert.match(String(version.version), /^3\.8\.\d+-zkd-/);
  assert.equal(tree.descendants, 1);
  assert.deepEqual(del, { path: `${p}/eph` });
  assert.deepEqual(deleteAll, { path: p, deleted: 1 });
  assert.ok(Array.isArray(docs.at(-1)!.commands));
  // An ephemeral's owner is a hex string: session ids do not fit a JSON number.
  const ephStat = (tree.children as Array<Record<string, unknown>>)[0];
  assert.match(String(ephStat.ephemeralOwner), /^0x[0-9a-f]+$/);
  assert.notEqual(ephStat.ephemeralOwner, "0x0");
  assert.deepEqual(errors, [
    // Watch notifications are JSON lines on stderr too (removewatches tells the watcher).
    { watcher: { type: "PersistentWatchRemoved", state: "SyncConnected", path: p } },
    { error: `Node does not exist: ${p}`, code: "NONODE", path: p },
    { error: "Command not found: Command not found frobnicate" },
  ]);
});

Deno.test("--json in one-shot mode: a result on stdout, a failure as JSON on stderr", async () => {
  const p = freshPath("json1");
  const ok = await shell(["--json", "-c", `create ${p} x`]);
  assert.deepEqual(ok, { code: 0, out: [JSON.stringify({ path: p })], err: [] });
  const missing = await shell(["--json", "get", `${p}/nope`]);
  assert.equal(missing.code, 1);
  assert.deepEqual(missing.out, []);
  assert.deepEqual(parseAll(missing.err), [
    { error: `Node does not exist: ${p}/nope`, code: "NONODE", path: `${p}/nope` },
  ]);
  const usage = await shell(["--json", "-c", "ls"]);
  assert.deepEqual(parseAll(usage.err), [{ error: "ls [-s] [-w] [-R] path" }]);
});

Deno.test("get --format and set/create --format move binary data unchanged", async () => {
  const p = freshPath("format");
  const r = await shell([], [
    `create --format hex ${p} 00ff0a41`,
    `get --format hex ${p}`,
    `get --format base64 ${p}`,
    `set --format base64 ${p} 3q2+7w==`,
    `get --format hex ${p}`,
    `create --format hex ${p}/bad 0g`,
    `get --format octal ${p}`,
    `create ${p}/null`,
    `get --format hex ${p}/null`,
  ]);
  assert.deepEqual(r.out, ["00ff0a41", "AP8KQQ==", "deadbeef", "null"]);
  assert.deepEqual(r.err, [
    `Created ${p}`,
    "data is not hex (an even number of 0-9a-f digits): 0g",
    "unknown data format 'octal' (use text, hex, base64)",
    `Created ${p}/null`,
  ]);
  const raw = await withClient((zk) => zk.getData(p));
  assert.deepEqual(raw.data, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
});

Deno.test("tree draws the subtree with sizes and counts; -d stops at a depth", async () => {
  const p = freshPath("tree");
  await withClient(async (zk) => {
    await zk.create(p, "12345");
    await zk.create(`${p}/b`, "x");
    await zk.create(`${p}/b/c`);
    await zk.create(`${p}/b/c/d`, "dd");
    await zk.create(`${p}/a`);
  });
  const r = await shell([], [`tree ${p}`, `tree -d 1 ${p}`, `tree -d x ${p}`, `tree ${p}/nope`]);
  assert.deepEqual(r.out, [
    `${p} (5 B, 2 children, 4 descendants)`,
    "├── a (0 B)",
    "└── b (1 B, 1 child, 2 descendants)",
    "    └── c (0 B, 1 child, 1 descendant)",
    "        └── d (2 B)",
    `${p} (5 B, 2 children, 4 descendants)`,
    "├── a (0 B)",
    "└── b (1 B, 1 child, 2 descendants) …",
  ]);
  assert.deepEqual(r.err, [
    "-d must be a depth (0 or more levels): x",
    `Node does not exist: ${p}/nope`,
  ]);
});

Deno.test("export then import recreates data, ACLs and structure; ephemerals are skipped", async () => {
  const p = freshPath("export");
  const dir = await Deno.makeTempDir({ prefix: "zkd-cli-export-" });
  const file = `${dir}/subtree.json`;
  try {
    await withClient(async (zk) => {
      await zk.create(p, "root");
      await zk.create(`${p}/bin`, new Uint8Array([0, 1, 0xfe, 0xff]));
      await zk.create(`${p}/ro`, "r", { acl: [{ scheme: "world", id: "anyone", perms: 1 }] });
      await zk.create(`${p}/bin/null`, null);
      await zk.create(`${p}/empty`, "");
    });
    const r = await shell([], [
      `create -e ${p}/eph`,
      `export ${p} ${file}`,
      `import ${file} ${p}-copy`,
      `import ${file} ${p}-copy`,
      `import ${dir}/missing.json`,
    ]);
    assert.deepEqual(r.out, [
      `Exported 6 nodes under ${p} to ${file}`,
      `Imported 5 nodes under ${p}-copy from ${file} (1 ephemeral skipped)`,
    ]);
    assert.equal(r.err[0], `Created ${p}/eph`);
    assert.equal(r.err[1], `Node already exists: ${p}-copy (imported 0 of 5 nodes)`);
    assert.equal(r.err[2], `cannot read ${dir}/missing.json: no such file or directory`);
    assert.equal(r.err.length, 3);
    await withClient(async (zk) => {
      assert.deepEqual((await zk.getData(`${p}-copy`)).data, new TextEncoder().encode("root"));
      assert.deepEqual(
        (await zk.getData(`${p}-copy/bin`)).data,
        new Uint8Array([0, 1, 0xfe, 0xff]),
      );
      assert.equal((await zk.getData(`${p}-copy/bin/null`)).data, null);
      assert.deepEqual((await zk.getData(`${p}-copy/empty`)).data, new Uint8Array());
      assert.deepEqual((await zk.getACL(`${p}-copy/ro`)).acl, [
        { scheme: "world", id: "anyone", perms: 1 },
      ]);
      assert.equal(await zk.exists(`${p}-copy/eph`), null);
      assert.deepEqual((await zk.getChildren(`${p}-copy`)).sort(), ["bin", "empty", "ro"]);
    });
    const doc = JSON.parse(await Deno.readTextFile(file));
    assert.equal(doc.format, "zkd-export");
    assert.equal(doc.root, p);
    assert.deepEqual(doc.nodes.map((n: { path: string }) => n.path), [
      p,
      `${p}/bin`,
      `${p}/bin/null`,
      `${p}/empty`,
      `${p}/eph`,
      `${p}/ro`,
    ]);
    assert.equal(doc.nodes[4].ephemeral, true);
    // Without a file the document goes to stdout.
    const toStdout = await shell(["--json", "-c", `export ${p}/bin`]);
    const single = JSON.parse(toStdout.out[0]);
    assert.deepEqual(single.nodes.map((n: { data: string }) => n.data), ["AAH+/w==", null]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watch streams events until Ctrl-C and the shell goes on", async () => {
  const p = freshPath("watch");
  await withClient((zk) => zk.create(p, "0"));
  const other = await ZkClient.connect({ hosts: S });
  try {
    const changes: Promise<void>[] = [];
    const s = scriptedIo([`watch -r ${p}`, `getAllChildrenNumber ${p}`], {
      onCommand: (n, interrupt) => {
        if (n !== 0) return;
        changes.push((async () => {
          // The watch is set once addWatch is answered: change the node until an event shows.
          for (let i = 0; i < 100 && s.out.length === 0; i++) {
            await other.setData(p, String(i));
            await new Promise((done) => setTimeout(done, 100));
          }
          await other.create(`${p}/child`);
          for (let i = 0; i < 100 && !s.out.some((l) => l.includes("NodeCreated")); i++) {
            await new Promise((done) => setTimeout(done, 50));
          }
          interrupt();
        })());
      },
    });
    const code = await within(30_000, "watch", runCli(["-server", S, "--json"], s.io));
    await Promise.all(changes);
    assert.equal(code, 0);
    const events = parseAll(s.out.slice(0, -1));
    assert.ok(events.length >= 2, s.out.join("\n"));
    assert.equal(events[0].type, "NodeDataChanged");
    assert.equal(events[0].path, p);
    assert.match(String(events[0].time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const last = events.at(-1)!;
    assert.deepEqual(
      [last.type, last.state, last.path],
      ["NodeCreated", "SyncConnected", `${p}/child`],
    );
    // The shell went on after Ctrl-C.
    assert.deepEqual(JSON.parse(s.out.at(-1)!), { path: p, count: 1 });
    assert.deepEqual(s.err, []);
  } finally {
    await other.close();
  }
});

Deno.test("Ctrl-C during a command ends it with Interrupted and the shell goes on", async () => {
  const p = freshPath("interrupt");
  // Ctrl-C as the first command starts: it cannot have had its reply yet.
  const r = await shell([], [`create ${p}`, `ls ${p}`], (n, interrupt) => {
    if (n === 0) interrupt();
  });
  // Nothing the abandoned command would still print (its "Created") shows up afterwards.
  assert.deepEqual(r.err, ["Interrupted"]);
  // The create request had left (a session's requests apply in order), and the shell went on.
  assert.deepEqual(r.out, ["[]"]);
  assert.equal(r.code, 0);
});

Deno.test("deleteall removes a subtree in batches and reports a partial failure", async () => {
  const p = freshPath("deleteall");
  await withClient(async (zk) => {
    await zk.create(p);
    for (let i = 0; i < 5; i++) await zk.create(`${p}/n${i}`);
    await zk.create(`${p}/n0/deep`);
    // A node whose ACL forbids deleting its child.
    await zk.create(`${p}-locked`);
    await zk.create(`${p}-locked/c`);
    await zk.create(`${p}-locked/c/leaf`);
    await zk.setACL(`${p}-locked/c`, [{ scheme: "world", id: "anyone", perms: 1 }]);
  });
  const r = await shell([], [
    `deleteall ${p} -b 2`,
    `ls ${p}`,
    `deleteall -b x ${p}`,
    `deleteall ${p}-missing`,
    `deleteall ${p}-locked`,
    `ls -R ${p}-locked`,
  ]);
  assert.deepEqual(r.err, [
    `Node does not exist: ${p}`,
    "-b argument must be an int value",
    `Node does not exist: ${p}-missing`,
    "Failed to delete some node(s) in the subtree!",
  ]);
  assert.deepEqual(r.out, [`${p}-locked`, `${p}-locked/c`, `${p}-locked/c/leaf`]);
});

Deno.test("history lists this session's commands by number and redo runs one again", async () => {
  const p = freshPath("redo");
  const r = await shell([], [
    `create ${p}`,
    `create ${p}/a`,
    `ls ${p}`,
    `delete ${p}/a`,
    `redo 2`,
    `redo 1`,
    `redo 4`,
    `redo 9`,
    `redo x`,
    `history`,
  ]);
  assert.deepEqual(r.out, [
    "[a]",
    "[]",
    "[a]",
    "0 - " + `create ${p}`,
    "1 - " + `create ${p}/a`,
    "2 - " + `ls ${p}`,
    "3 - " + `delete ${p}/a`,
    "4 - " + `ls ${p}`,
    "5 - " + `create ${p}/a`,
    "6 - " + `ls ${p}`,
    "7 - redo 9",
    "8 - redo x",
    "9 - history",
  ]);
  assert.deepEqual(r.err, [
    `Created ${p}`,
    `Created ${p}/a`,
    `Created ${p}/a`,
    "Command index out of range",
    "cmdno must be a number: x",
  ]);
});

Deno.test("config prints the dynamic config node; addWatch checks its words as zkCli", async () => {
  const p = freshPath("addwatch");
  const r = await shell([], [
    "config",
    "config -c",
    `addWatch -m BOGUS ${p}`,
    `addWatch ${p} extra`,
    `addWatch -m persistent ${p}`,
  ]);
  // Standalone: an empty config, and " " as its client string.
  assert.deepEqual(r.out, ["", " "]);
  const usage = "addWatch [-m mode] path # optional mode is one of [PERSISTENT, " +
    "PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE";
  assert.deepEqual(r.err, [usage, usage]);
  assert.equal(r.code, 0);
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
