/** The zkCli-compatible pieces of `zkd cli`: tokenizer, option parser, paths, ACLs, formats. */

import assert from "node:assert/strict";
import { parseAcl } from "../../lib/cli/zkcli/acl_parser.ts";
import {
  javaDateString,
  javaHex,
  keeperErrorText,
  statLines,
  watchedEventText,
} from "../../lib/cli/zkcli/format.ts";
import { CliParseError, parseCommandOptions } from "../../lib/cli/zkcli/options.ts";
import { pathProblem } from "../../lib/cli/zkcli/path.ts";
import { tokenizeLine } from "../../lib/cli/zkcli/tokenize.ts";
import { Err } from "../../lib/proto/errors.ts";

Deno.test("tokenizeLine() splits on whitespace and strips surrounding quotes", () => {
  assert.deepEqual(tokenizeLine("  create /a   b  "), ["create", "/a", "b"]);
  assert.deepEqual(tokenizeLine(`create "/a b" 'c d' ""`), ["create", "/a b", "c d", ""]);
  assert.deepEqual(tokenizeLine(`set /a x"y"`), ["set", "/a", `x"y"`]);
  assert.deepEqual(tokenizeLine(""), []);
});

Deno.test("parseCommandOptions() takes options anywhere, bundled or with glued values", () => {
  const spec = { s: false, w: false, v: true };
  const a = parseCommandOptions(["get", "/a", "-s"], spec);
  assert.deepEqual(a.args, ["get", "/a"]);
  assert.ok(a.options.has("s"));
  const b = parseCommandOptions(["ls", "-sw", "/a"], spec);
  assert.deepEqual([...b.options.keys()].sort(), ["s", "w"]);
  assert.equal(parseCommandOptions(["set", "-v5", "/a", "d"], spec).options.get("v"), "5");
  assert.equal(parseCommandOptions(["set", "-v", "-1", "/a", "d"], spec).options.get("v"), "-1");
  assert.deepEqual(parseCommandOptions(["set", "--", "-x"], spec).args, ["set", "-x"]);
});

Deno.test("parseCommandOptions() words unknown options and missing values as commons-cli", () => {
  const spec = { s: false, v: true };
  assert.throws(
    () => parseCommandOptions(["get", "-x", "/a"], spec),
    new CliParseError(
      "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x",
    ),
  );
  assert.throws(
    () => parseCommandOptions(["set", "/a", "d", "-v"], spec),
    new CliParseError(
      "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v",
    ),
  );
});

Deno.test("pathProblem() matches the Java client's PathUtils messages", () => {
  assert.equal(pathProblem("/"), undefined);
  assert.equal(pathProblem("/a/b"), undefined);
  assert.equal(pathProblem("a"), "Path must start with / character");
  assert.equal(pathProblem(""), "Path length must be > 0");
  assert.equal(pathProblem("/a/"), "Path must not end with / character");
  assert.equal(pathProblem("/a/", true), undefined);
  assert.equal(
    pathProblem("/q//b"),
    `Invalid path string "/q//b" caused by empty node name specified @3`,
  );
  assert.equal(
    pathProblem("/a/./b"),
    `Invalid path string "/a/./b" caused by relative paths not allowed @3`,
  );
  assert.equal(
    pathProblem("/a/.."),
    `Invalid path string "/a/.." caused by relative paths not allowed @4`,
  );
  assert.equal(
    pathProblem("/a\u0001"),
    `Invalid path string "/a\u0001" caused by invalid character @2`,
  );
  assert.equal(
    pathProblem("/a\u0000"),
    `Invalid path string "/a\u0000" caused by null character not allowed @2`,
  );
  assert.equal(pathProblem("/a.b/..c"), undefined);
});

Deno.test("parseAcl() reads scheme:id:perms lists and reports bad entries", () => {
  assert.deepEqual(parseAcl("world:anyone:cdrwa,digest:u:hash=:r"), {
    acl: [
      { scheme: "world", id: "anyone", perms: 31 },
      { scheme: "digest", id: "u:hash=", perms: 1 },
    ],
    warnings: [],
  });
  assert.deepEqual(parseAcl("foo:bar"), {
    acl: [],
    warnings: ["foo:bar does not have the form scheme:id:perm"],
  });
  assert.deepEqual(parseAcl("world:anyone:rz").warnings, ["Unknown perm type: z"]);
});

Deno.test("javaDateString() prints Date.toString()'s layout", () => {
  const ms = Date.UTC(2026, 10, 24, 16, 21, 0);
  const text = javaDateString(ms);
  assert.match(text, /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}$/);
  if (new Date(ms).getTimezoneOffset() === 0) {
    assert.equal(text, "Tue Nov 24 16:21:00 UTC 2026");
    assert.equal(javaDateString(0), "Thu Jan 01 00:00:00 UTC 1970");
  }
});

Deno.test("statLines() prints zkCli's StatPrinter block", () => {
  const lines = statLines({
    czxid: 3,
    mzxid: 0x22,
    ctime: 0,
    mtime: 0,
    version: 2,
    cversion: -1,
    aversion: 0,
    ephemeralOwner: 0x10000041bea0025n,
    dataLength: 1,
    numChildren: 1,
    pzxid: 0x1b,
  });
  assert.deepEqual(lines.filter((l) => !l.includes("time")), [
    "cZxid = 0x3",
    "mZxid = 0x22",
    "pZxid = 0x1b",
    "cversion = -1",
    "dataVersion = 2",
    "aclVersion = 0",
    "ephemeralOwner = 0x10000041bea0025",
    "dataLength = 1",
    "numChildren = 1",
  ]);
  assert.equal(javaHex(-1), "ffffffffffffffff");
});

Deno.test("keeperErrorText() gives zkCli's texts for the common codes", () => {
  assert.equal(keeperErrorText(Err.NONODE, "/x"), "Node does not exist: /x");
  assert.equal(keeperErrorText(Err.NODEEXISTS, "/x"), "Node already exists: /x");
  assert.equal(keeperErrorText(Err.BADVERSION, "/x"), "version No is not valid : /x");
  assert.equal(keeperErrorText(Err.NOTEMPTY, "/x"), "Node not empty: /x");
  assert.equal(keeperErrorText(Err.NOAUTH, "/x"), "Insufficient permission : /x");
  assert.equal(
    keeperErrorText(Err.CONNECTIONLOSS, "/x"),
    "KeeperErrorCode = ConnectionLoss for /x",
  );
});

Deno.test("watchedEventText() prints WatchedEvent.toString()", () => {
  assert.equal(
    watchedEventText({ type: -1, state: 3, path: null }),
    "WatchedEvent state:SyncConnected type:None path:null",
  );
  assert.equal(
    watchedEventText({ type: 4, state: 3, path: "/a" }),
    "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/a",
  );
});
