/**
 * The shell's data-handling pieces without a server: --format text|hex|base64, `config -c`'s
 * client string, the export file format and the history file.
 */

import assert from "node:assert/strict";
import { clientConfigString, javaPropertiesOrder } from "../../lib/cli/zkcli/client_config.ts";
import {
  DataFormatError,
  formatData,
  parseData,
  parseDataFormat,
} from "../../lib/cli/zkcli/data_format.ts";
import {
  aclFromJson,
  decodeData,
  encodeData,
  ExportFormatError,
  parseExport,
  relocate,
} from "../../lib/cli/zkcli/export_format.ts";
import { HISTORY_LINES_MAX, HistoryFile } from "../../lib/cli/zkcli/history_file.ts";

const binary = new Uint8Array([0, 0xff, 0x41, 0x80, 0x0a]);

Deno.test("formatData() and parseData() carry any bytes through hex and base64", () => {
  assert.equal(formatData(binary, "hex"), "00ff41800a");
  assert.equal(formatData(binary, "base64"), "AP9BgAo=");
  assert.deepEqual(parseData("00ff41800a", "hex"), binary);
  assert.deepEqual(parseData("0x00FF41800A", "hex"), binary);
  assert.deepEqual(parseData("AP9BgAo=", "base64"), binary);
  assert.deepEqual(parseData("AP9BgAo", "base64"), binary);
  assert.deepEqual(parseData("", "hex"), new Uint8Array());
  // Text is UTF-8 both ways; invalid UTF-8 shows as U+FFFD, as zkCli shows it.
  assert.equal(formatData(new TextEncoder().encode("héllo"), "text"), "héllo");
  assert.equal(formatData(new Uint8Array([0x41, 0xff]), "text"), "A\ufffd");
  assert.deepEqual(parseData("é", "text"), new Uint8Array([0xc3, 0xa9]));
});

Deno.test("parseData() and parseDataFormat() reject malformed input with one line", () => {
  assert.throws(() => parseData("abc", "hex"), DataFormatError);
  assert.throws(() => parseData("zz", "hex"), /data is not hex/);
  assert.throws(() => parseData("a*b=", "base64"), /data is not base64: a\*b=/);
  assert.throws(() => parseData("abcde", "base64"), DataFormatError);
  assert.equal(parseDataFormat(undefined), "text");
  assert.equal(parseDataFormat("HEX"), "hex");
  assert.throws(
    () => parseDataFormat("binary"),
    new DataFormatError("unknown data format 'binary' (use text, hex, base64)"),
  );
});

Deno.test("clientConfigString() gives ConfigUtils.getClientConfigStr's version and hosts", () => {
  assert.equal(clientConfigString(""), " ");
  assert.equal(
    clientConfigString(
      "server.2=10.0.0.2:2888:3888:participant;2181\n" +
        "server.1=10.0.0.1:2888:3888;10.0.0.1:2181\n" +
        "server.3=[::1]:2888:3888;[::1]:2182\n" +
        "version=100000003\n",
    ),
    // Java's order (its Properties' hash bins: server.2 before server.1) and host forms.
    "100000003 0.0.0.0:2181,10.0.0.1:2181,0:0:0:0:0:0:0:1:2182",
  );
  // A server without a client port contributes an empty entry, as in Java.
  assert.equal(clientConfigString("server.1=h:1:2\nserver.2=h:1:2;3\n"), " 0.0.0.0:3,");
  // A line QuorumServer cannot parse is left out (no entry, no comma).
  assert.equal(clientConfigString("server.1=h:1:2;5\nserver.2=garbage\n"), " 0.0.0.0:5");
});

Deno.test("javaPropertiesOrder() iterates keys as Java 17's Properties does", () => {
  // Checked against a JVM: 16 bins by String.hashCode; a resize at 12 keys splits bins.
  assert.deepEqual(
    javaPropertiesOrder(["server.1", "server.2", "server.3", "server.4", "server.5", "version"]),
    ["server.2", "server.1", "server.5", "server.4", "server.3", "version"],
  );
  const many = Array.from({ length: 13 }, (_, i) => `server.${i + 1}`).concat("version");
  assert.deepEqual(javaPropertiesOrder(many), [
    "version",
    "server.10",
    "server.11",
    "server.2",
    "server.1",
    "server.12",
    "server.13",
    "server.6",
    "server.5",
    "server.4",
    "server.3",
    "server.9",
    "server.8",
    "server.7",
  ]);
  // A key put again keeps its first place.
  assert.deepEqual(javaPropertiesOrder(["server.1", "server.2", "server.1"]), [
    "server.2",
    "server.1",
  ]);
});

function exportText(nodes: unknown[], root = "/app"): string {
  return JSON.stringify({ format: "zkd-export", version: 1, root, nodes });
}

const acl = [{ scheme: "world", id: "anyone", perms: "cdrwa" }];

Deno.test("parseExport() accepts a well-formed export and keeps its nodes in order", () => {
  const doc = parseExport(
    exportText([
      { path: "/app", data: "aGk=", acl },
      { path: "/app/a", data: null, acl: [{ scheme: "ip", id: "10.0.0.0/8", perms: "r" }] },
      { path: "/app/a/e", data: "", acl, ephemeral: true },
    ]),
    "f.json",
  );
  assert.equal(doc.root, "/app");
  assert.deepEqual(doc.nodes.map((n) => n.path), ["/app", "/app/a", "/app/a/e"]);
  assert.equal(doc.nodes[2].ephemeral, true);
  assert.equal(doc.nodes[1].ephemeral, undefined);
  assert.deepEqual(decodeData(doc.nodes[0].data), new TextEncoder().encode("hi"));
  assert.equal(decodeData(null), null);
  assert.equal(encodeData(new TextEncoder().encode("hi")), "aGk=");
  assert.deepEqual(aclFromJson(doc.nodes[1].acl), [{ scheme: "ip", id: "10.0.0.0/8", perms: 1 }]);
  assert.deepEqual(aclFromJson(acl), [{ scheme: "world", id: "anyone", perms: 31 }]);
});

Deno.test("parseExport() names the file and the problem on one line", () => {
  const cases: Array<[string, RegExp]> = [
    ["{", /^f\.json: not JSON/],
    [JSON.stringify({ nodes: [] }), /^f\.json: not a zkd export/],
    [JSON.stringify({ format: "zkd-export", version: 2 }), /version 2 is not supported/],
    [exportText([]), /no nodes/],
    [exportText([{ path: "/other", data: null, acl }]), /first node must be the root \/app/],
    [
      exportText([{ path: "/app", data: null, acl }, { path: "/app/a/b", data: null, acl }]),
      /\/app\/a\/b comes before its parent/,
    ],
    [
      exportText([{ path: "/app", data: null, acl }, { path: "/elsewhere", data: null, acl }]),
      /outside \/app/,
    ],
    [exportText([{ path: "/app", data: "!!", acl }]), /neither null nor base64/],
    [exportText([{ path: "/app", data: null, acl: [{ scheme: "x" }] }]), /bad acl entry/],
    [
      exportText([{ path: "/app", data: null, acl: [{ ...acl[0], perms: "rwz" }] }]),
      /bad acl entry/,
    ],
    [exportText([{ path: "/app", data: null, acl }, { path: "/app", data: null, acl }]), /twice/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseExport(text, "f.json"), (e: unknown) => {
      assert.ok(e instanceof ExportFormatError);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("relocate() moves exported paths under the import target", () => {
  assert.equal(relocate("/app", "/app", "/copy"), "/copy");
  assert.equal(relocate("/app/a/b", "/app", "/copy"), "/copy/a/b");
  assert.equal(relocate("/app/a", "/app", "/"), "/a");
  assert.equal(relocate("/app", "/app", "/"), "/");
  assert.equal(relocate("/", "/", "/x"), "/x");
  assert.equal(relocate("/a/b", "/", "/x"), "/x/a/b");
  assert.equal(relocate("/a", "/", "/"), "/a");
});

Deno.test("HistoryFile keeps lines across opens, bounded, without addauth lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zkd-history-test-" });
  try {
    const path = `${dir}/.zkd_history`;
    const first = HistoryFile.open(path);
    assert.deepEqual(first.lines, []);
    first.add("ls /");
    first.add("ls /"); // a repeat is not recorded twice
    first.add("   ");
    first.add("addauth digest user:secret");
    first.add("get /a");
    assert.deepEqual(first.lines, ["ls /", "addauth digest user:secret", "get /a"]);
    assert.equal(await Deno.readTextFile(path), "ls /\nget /a\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(HistoryFile.open(path).lines, ["ls /", "get /a"]);

    const many = HistoryFile.open(path);
    for (let i = 0; i < HISTORY_LINES_MAX * 2; i++) many.add(`get /n${i}`);
    assert.equal(many.lines.length, HISTORY_LINES_MAX);
    assert.equal(many.lines.at(-1), `get /n${HISTORY_LINES_MAX * 2 - 1}`);
    const fileLines = (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
    assert.ok(fileLines.length <= HISTORY_LINES_MAX * 1.25, `${fileLines.length} lines`);
    const reopened = HistoryFile.open(path);
    assert.equal(reopened.lines.length, HISTORY_LINES_MAX);
    assert.equal(reopened.lines.at(-1), `get /n${HISTORY_LINES_MAX * 2 - 1}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HistoryFile reports an unwritable file once and keeps the history in memory", () => {
  const problems: string[] = [];
  const h = HistoryFile.open("/nonexistent-dir/.zkd_history", (m) => problems.push(m));
  h.add("ls /");
  h.add("get /a");
  assert.deepEqual(h.lines, ["ls /", "get /a"]);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^history: cannot write \/nonexistent-dir\/\.zkd_history: /);
  assert.deepEqual(HistoryFile.open(undefined).lines, []);
});
