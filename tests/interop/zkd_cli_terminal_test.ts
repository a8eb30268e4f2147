// `zkd cli` in a real terminal (tmux) against a real zkd process: typing and editing keys, Tab
// completion of a command and of znode paths (unique, ambiguous, listed), history recall with
// Up (also from an earlier session, through ~/.zkd_history), Ctrl-C at the prompt and during
// `watch`, a watch notification arriving while a line is being typed, and Ctrl-D ending the
// shell with exit status 0.

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/client.ts";
import { interopTest } from "./support/differential.ts";
import type { ServerHandle } from "./support/server.ts";
import { tmuxAvailable, TmuxSession } from "./support/tmux.ts";
import { startZkd } from "./support/zkd.ts";
import { zkdCliArgv } from "./support/zkd_cli.ts";

const haveTmux = await tmuxAvailable();

let zkd: Promise<ServerHandle> | undefined;
const server = () => zkd ??= startZkd();
Deno.test.afterAll(async () => {
  if (zkd) await (await zkd).stop().catch(() => {});
});

/** Runs the shell in a fresh terminal with HOME at `home` (where ~/.zkd_history lives). */
async function openShell(connectString: string, home: string): Promise<TmuxSession> {
  return await TmuxSession.start({
    argv: [...zkdCliArgv(), "-server", connectString],
    env: { HOME: home, NO_COLOR: "1" },
    columns: 120,
    rows: 40,
  });
}

/** The prompt with command number `n`. */
const prompt = (cs: string, n: number) => `[zk: ${cs}(CONNECTED) ${n}] `;

/** Waits until the last screen line is exactly the prompt `n` followed by `typed`. */
async function expectLine(t: TmuxSession, cs: string, n: number, typed: string, what: string) {
  // capture-pane drops trailing spaces, so compare without them.
  const want = (prompt(cs, n) + typed).trimEnd();
  await t.waitFor(what, (s) => s.split("\n").at(-1) === want);
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function skipped(name: string): void {
  Deno.test({ name: `${name} (skipped: tmux is not installed)`, ignore: true, fn() {} });
}

async function withClient<T>(cs: string, work: (zk: ZkClient) => Promise<T>): Promise<T> {
  const zk = await ZkClient.connect({ hosts: cs });
  try {
    return await work(zk);
  } finally {
    await zk.close();
  }
}

const EDITING = "zkd cli in a terminal: typing, editing keys, Tab completion and history";
if (!haveTmux) {
  skipped(EDITING);
} else {
  interopTest(EDITING, async () => {
    const { connectString: cs } = await server();
    await withClient(cs, async (zk) => {
      await zk.create("/app");
      await zk.create("/app/config-main", "main");
      await zk.create("/app/config-extra", "extra");
      await zk.create("/app/locks");
    });
    const home = await Deno.makeTempDir({ prefix: "zkd-cli-home-" });
    try {
      await editAndRecall(cs, home);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
}

/** The editing test's two sessions, sharing `home`. */
async function editAndRecall(cs: string, home: string): Promise<void> {
  const t = await openShell(cs, home);
  try {
    await expectLine(t, cs, 0, "", "first prompt");
    await t.type("ls /app");
    await t.press("Enter");
    await t.waitFor("ls output", (s) => s.includes("[config-extra, config-main, locks]"));
    await expectLine(t, cs, 1, "", "prompt 1");

    // A command name, then a path that has children ("/"), then a leaf (" ").
    await t.type("getAllCh");
    await t.press("Tab");
    await expectLine(t, cs, 1, "getAllChildrenNumber ", "command completed");
    await t.type("/ap");
    await t.press("Tab");
    await expectLine(t, cs, 1, "getAllChildrenNumber /app/", "path completed to a parent");
    await t.type("lo");
    await t.press("Tab");
    await expectLine(t, cs, 1, "getAllChildrenNumber /app/locks ", "path completed to a leaf");
    await t.press("Enter");
    await expectLine(t, cs, 2, "", "prompt 2");
    assert.equal((await t.screen()).split("\n").at(-2), "0");

    // Ambiguous: completed as far as the names agree, then listed on the next Tab.
    await t.type("get /app/con");
    await t.press("Tab");
    await expectLine(t, cs, 2, "get /app/config-", "common prefix");
    await t.press("Tab");
    await t.waitFor("listed candidates", (s) => s.includes("config-extra  config-main"));
    await expectLine(t, cs, 2, "get /app/config-", "line kept under the list");
    await t.type("m");
    await t.press("Tab");
    await expectLine(t, cs, 2, "get /app/config-main ", "unique completion");
    await t.press("Enter");
    await expectLine(t, cs, 3, "", "prompt 3");
    assert.equal((await t.screen()).split("\n").at(-2), "main");

    // Editing keys: Backspace, Ctrl-A, Ctrl-E, Left, Ctrl-U.
    await t.type("et /app/config-extraZZ");
    await t.press("BSpace", "BSpace", "C-a");
    await t.type("g");
    await t.press("C-e", "Left", "Left");
    await t.type("#");
    await expectLine(t, cs, 3, "get /app/config-ext#ra", "edited in the middle");
    await t.press("BSpace", "C-e");
    await t.press("Enter");
    await expectLine(t, cs, 4, "", "prompt 4");
    assert.equal((await t.screen()).split("\n").at(-2), "extra");
    await t.type("garbage");
    await t.press("C-u");
    await expectLine(t, cs, 4, "", "Ctrl-U cleared the line");

    // Ctrl-C drops the line being typed and starts a fresh prompt.
    await t.type("half typed");
    await t.press("C-c");
    await t.waitFor("^C line", (s) => s.includes(prompt(cs, 4) + "half typed^C"));
    await expectLine(t, cs, 4, "", "fresh prompt after Ctrl-C");

    // Up walks back through the history; Enter runs the recalled line.
    await t.press("Up");
    await expectLine(t, cs, 4, "get /app/config-extra", "last line recalled");
    await t.press("Up", "Up");
    await expectLine(t, cs, 4, "getAllChildrenNumber /app/locks", "older line recalled");
    await t.press("Down");
    await expectLine(t, cs, 4, "get /app/config-main", "Down moves forward");
    await t.press("Enter");
    await expectLine(t, cs, 5, "", "prompt 5");
    assert.equal(count(await t.screen(), "\nmain\n"), 2);

    // Ctrl-D on an empty line ends the shell; the last command succeeded.
    await t.press("C-d");
    assert.equal(await t.waitForExit(), 0);
  } finally {
    await t.close();
  }

  const history = await Deno.readTextFile(`${home}/.zkd_history`);
  assert.deepEqual(history.trimEnd().split("\n"), [
    "ls /app",
    "getAllChildrenNumber /app/locks",
    "get /app/config-main",
    "get /app/config-extra",
    "get /app/config-main",
  ]);

  // A new session starts with the old one's history.
  const again = await openShell(cs, home);
  try {
    await expectLine(again, cs, 0, "", "second session's prompt");
    await again.press("Up");
    await expectLine(again, cs, 0, "get /app/config-main", "history from the last session");
    await again.press("C-u");
    await again.type("quit");
    await again.press("Enter");
    assert.equal(await again.waitForExit(), 0);
  } finally {
    await again.close();
  }
}

const WATCHING = "zkd cli in a terminal: notifications above the typed line, watch until Ctrl-C";
if (!haveTmux) {
  skipped(WATCHING);
} else {
  interopTest(WATCHING, async () => {
    const { connectString: cs } = await server();
    await withClient(cs, async (zk) => {
      await zk.create("/w");
      await zk.create("/w/data", "0");
    });
    const home = await Deno.makeTempDir({ prefix: "zkd-cli-home-" });
    const t = await openShell(cs, home);
    const other = await ZkClient.connect({ hosts: cs });
    try {
      await expectLine(t, cs, 0, "", "first prompt");
      await t.type("get -w /w/data");
      await t.press("Enter");
      await expectLine(t, cs, 1, "", "prompt 1");
      // A notification while typing goes above the line, which stays as it was.
      await t.type("ls /w");
      await expectLine(t, cs, 1, "ls /w", "typed line");
      await other.setData("/w/data", "1");
      await t.waitFor(
        "watch notification above the typed line",
        (s) =>
          s.includes("WatchedEvent state:SyncConnected type:NodeDataChanged path:/w/data\n") &&
          s.split("\n").at(-1) === prompt(cs, 1) + "ls /w",
      );
      await t.press("C-u");

      await t.type("watch -r /w");
      await t.press("Enter");
      await t.waitFor(
        "watch banner",
        (s) => s.includes("Watching /w and its subtree; Ctrl-C to stop"),
      );
      await other.create("/w/new", "x");
      await other.setData("/w/data", "2");
      await t.waitFor(
        "streamed events",
        (s) => /Z NodeCreated \/w\/new\n.*Z NodeDataChanged \/w\/data$/m.test(s),
      );
      await t.press("C-c");
      await expectLine(t, cs, 2, "", "prompt after Ctrl-C ended watch");
      await t.type("ls /w");
      await t.press("Enter");
      await t.waitFor("ls after watch", (s) => s.includes("[data, new]"));
      await t.type("quit");
      await t.press("Enter");
      assert.equal(await t.waitForExit(), 0);
    } finally {
      await other.close();
      await t.close();
      await Deno.remove(home, { recursive: true });
    }
  });
}
