/**
 * The shell's znode commands with zkCli 3.8's syntax and texts (org.apache.zookeeper.cli.*):
 * ls, get, stat, set, create, delete, deleteall, sync, getAllChildrenNumber, getEphemerals.
 * Beyond zkCli: `--format text|hex|base64` on get (output) and on set/create (input), and a
 * JSON document per command in --json mode.
 */

import type { ZkClient } from "../../client/client.ts";
import { ZkError } from "../../client/errors.ts";
import { createRequest, MultiOp } from "../../client/requests.ts";
import { Err } from "../../proto/errors.ts";
import { CreateFlag, Op } from "../../proto/ops.ts";
import type { Acl } from "../../proto/records.ts";
import { parseAcl } from "./acl_parser.ts";
import {
  checkPath,
  childPath,
  type Command,
  type CommandContext,
  CommandError,
  compareJava,
  emit,
  parseVersion,
  warn,
} from "./command.ts";
import { formatData, parseData, parseDataFormat } from "./data_format.ts";
import { keeperErrorText, keeperExceptionMessage, statLines } from "./format.ts";
import { statJson } from "./json_values.ts";

/** The data argument of set/create, read in the --format the user chose. */
function dataArgument(ctx: CommandContext, text: string): Uint8Array {
  return parseData(text, parseDataFormat(ctx.opts.get("format")));
}

const ls: Command = {
  name: "ls",
  usage: "[-s] [-w] [-R] path",
  options: { s: false, w: false, R: false, "?": false },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts, signal }) {
    const path = args[1];
    checkPath(path);
    const watch = opts.has("w");
    if (opts.has("R")) {
      const paths = await listRecursive(zk, path, watch, signal);
      emit(shell, { path, paths }, () => paths);
      return;
    }
    const { children, stat } = await zk.getChildren2(path, watch);
    const sorted = [...children].sort(compareJava);
    emit(shell, { path, children: sorted, stat: statJson(stat) }, () => [
      `[${sorted.join(", ")}]`,
      ...(opts.has("s") ? statLines(stat) : []),
    ]);
  },
};

/** ZKUtil.visitSubTreeDFS: the node, then each child subtree in sorted order. */
async function listRecursive(
  zk: ZkClient,
  path: string,
  watch: boolean,
  signal: AbortSignal,
): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string): Promise<void> => {
    signal.throwIfAborted();
    out.push(p);
    const children = (await zk.getChildren(p, watch)).sort(compareJava);
    for (const child of children) await visit(childPath(p, child));
  };
  await visit(path);
  return out;
}

const get: Command = {
  name: "get",
  usage: "[-s] [-w] path",
  usageExtra: "[--format text|hex|base64]",
  options: { s: false, w: false, format: true },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const path = args[1];
    const format = parseDataFormat(opts.get("format"));
    checkPath(path);
    const { data, stat } = await zk.getData(path, opts.has("w"));
    const shown = data === null ? null : formatData(data, format);
    emit(shell, { path, format, data: shown, stat: statJson(stat) }, () => [
      shown ?? "null",
      ...(opts.has("s") ? statLines(stat) : []),
    ]);
  },
};

const stat: Command = {
  name: "stat",
  usage: "[-w] path",
  options: { w: false },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const path = args[1];
    checkPath(path);
    const stat = await zk.exists(path, opts.has("w"));
    if (stat === null) throw new ZkError(Err.NONODE, path);
    emit(shell, { path, stat: statJson(stat) }, () => statLines(stat));
  },
};

const set: Command = {
  name: "set",
  usage: "[-s] [-v version] path data",
  usageExtra: "[--format text|hex|base64]",
  options: { s: false, v: true, format: true },
  argsMin: 3,
  needsSession: true,
  async run(ctx) {
    const { shell, zk, args, opts } = ctx;
    const path = args[1];
    const version = parseVersion(opts.get("v"));
    const data = dataArgument(ctx, args[2]);
    checkPath(path);
    const stat = await zk.setData(path, data, version);
    emit(shell, { path, stat: statJson(stat) }, () => opts.has("s") ? statLines(stat) : []);
  },
};

/** The largest TTL (EphemeralType.TTL's 40-bit field). */
const TTL_MS_MAX = 1099511627775;

const create: Command = {
  name: "create",
  usage: "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
  usageExtra: "[--format text|hex|base64]",
  options: { e: false, s: false, c: false, t: true, format: true },
  argsMin: 2,
  needsSession: true,
  async run(ctx) {
    const { shell, zk, args, opts } = ctx;
    const hasE = opts.has("e");
    const hasS = opts.has("s");
    const hasC = opts.has("c");
    const hasT = opts.has("t");
    if (hasC && (hasE || hasS)) {
      throw new CommandError(
        "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
      );
    }
    let ttlMs = 0;
    if (hasT) {
      const text = opts.get("t")!;
      if (!/^[+-]?[0-9]+$/.test(text)) throw new CommandError("-t argument must be a long value");
      ttlMs = Number(text);
    }
    if (hasT && hasE) throw new CommandError("TTLs cannot be used with Ephemeral znodes");
    if (hasT && hasC) throw new CommandError("TTLs cannot be used with Container znodes");
    let mode: number;
    if (hasE && hasS) mode = CreateFlag.ephemeralSequential;
    else if (hasE) mode = CreateFlag.ephemeral;
    else if (hasS) {
      mode = hasT ? CreateFlag.persistentSequentialWithTtl : CreateFlag.persistentSequential;
    } else if (hasC) mode = CreateFlag.container;
    else mode = hasT ? CreateFlag.persistentWithTtl : CreateFlag.persistent;
    if (hasT && (ttlMs <= 0 || ttlMs > TTL_MS_MAX)) {
      throw new CommandError(`ttl must be positive and cannot be larger than: ${TTL_MS_MAX}`);
    }
    const path = args[1];
    const data = args.length > 2 ? dataArgument(ctx, args[2]) : null;
    let acl: Acl[] | undefined;
    if (args.length > 3) {
      const parsed = parseAcl(args[3]);
      for (const w of parsed.warnings) warn(shell, w);
      acl = parsed.acl;
    }
    checkPath(path, hasS);
    if (acl !== undefined && acl.length === 0) {
      // The Java client refuses an empty ACL itself, before sending, with no path attached.
      throw new CommandError(
        keeperExceptionMessage(Err.INVALIDACL, undefined),
        "Acl is not valid : null",
      );
    }
    const options = { mode, acl, ttlMs: hasT ? ttlMs : undefined };
    // Validate the mode/ttl combination the way the client library would.
    createRequest(path, data, options);
    let created: string;
    try {
      created = await zk.create(path, data, options);
    } catch (e) {
      if (e instanceof ZkError && e.code === Err.INVALIDACL) {
        throw new CommandError(
          keeperExceptionMessage(e.code, e.path),
          keeperErrorText(e.code, e.path),
        );
      }
      if (e instanceof ZkError && e.code === Err.EPHEMERALONLOCALSESSION) {
        throw new CommandError(
          "Unable to create ephemeral node on a local session",
          keeperErrorText(e.code, e.path),
        );
      }
      throw e;
    }
    // zkCli prints this on stderr; in JSON mode the result is the document on stdout.
    if (shell.json) emit(shell, { path: created }, () => []);
    else shell.err(`Created ${created}`);
  },
};

const del: Command = {
  name: "delete",
  usage: "[-v version] path",
  options: { v: true },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const path = args[1];
    const version = parseVersion(opts.get("v"));
    checkPath(path);
    await zk.delete(path, version);
    emit(shell, { path }, () => []);
  },
};

/** ZKUtil.deleteInBatch keeps this many multi requests in flight. */
const DELETE_BATCHES_IN_FLIGHT_MAX = 10;
const DELETE_BATCH_OPS_DEFAULT = 1000;

const deleteall: Command = {
  name: "deleteall",
  usage: "path [-b batch size]",
  options: { b: true },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts, signal }) {
    const batchText = opts.get("b");
    const batchOps = batchText === undefined ? DELETE_BATCH_OPS_DEFAULT : Number(batchText);
    if (
      batchText !== undefined &&
      (!/^[+-]?[0-9]+$/.test(batchText) || !Number.isSafeInteger(batchOps))
    ) {
      throw new CommandError("-b argument must be an int value");
    }
    const path = args[1];
    checkPath(path);
    const tree = await listSubtreeBfs(zk, path, signal);
    const ok = await deleteInBatches(zk, tree, Math.max(1, batchOps), signal);
    if (!ok) throw new CommandError("Failed to delete some node(s) in the subtree!");
    emit(shell, { path, deleted: tree.length }, () => []);
  },
};

/** ZKUtil.listSubTreeBFS: the root, then every descendant level by level. */
async function listSubtreeBfs(
  zk: ZkClient,
  root: string,
  signal: AbortSignal,
): Promise<string[]> {
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    signal.throwIfAborted();
    for (const child of await zk.getChildren(tree[i])) tree.push(childPath(tree[i], child));
  }
  return tree;
}

/**
 * ZKUtil.deleteInBatch: deepest nodes first, `batchOps` deletes per multi, a bounded number of
 * multis in flight; stops sending after the first failed batch. Returns false if any failed.
 */
async function deleteInBatches(
  zk: ZkClient,
  tree: string[],
  batchOps: number,
  signal: AbortSignal,
): Promise<boolean> {
  let ok = true;
  const inFlight = new Set<Promise<void>>();
  let ops = [];
  for (let i = tree.length - 1; i >= 0 && ok; i--) {
    ops.push(MultiOp.delete(tree[i]));
    if (ops.length < batchOps && i > 0) continue;
    signal.throwIfAborted();
    const batch = zk.multi(ops).then(
      (results) => {
        if (results.some((r) => r.type === Op.error)) ok = false;
      },
      () => {
        ok = false;
      },
    ).finally(() => inFlight.delete(batch));
    inFlight.add(batch);
    ops = [];
    if (inFlight.size >= DELETE_BATCHES_IN_FLIGHT_MAX) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return ok;
}

const sync: Command = {
  name: "sync",
  usage: "path",
  options: {},
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args }) {
    const path = args[1];
    checkPath(path);
    await zk.sync(path);
    emit(shell, { path }, () => ["Sync is OK"]);
  },
};

const getAllChildrenNumber: Command = {
  name: "getAllChildrenNumber",
  usage: "path",
  options: {},
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args }) {
    const path = args[1];
    checkPath(path);
    const count = await zk.getAllChildrenNumber(path);
    emit(shell, { path, count }, () => [String(count)]);
  },
};

const getEphemerals: Command = {
  name: "getEphemerals",
  usage: "path",
  options: {},
  argsMin: 1,
  needsSession: true,
  async run({ shell, zk, args }) {
    const path = args[1] ?? "/";
    const ephemerals = await zk.getEphemerals(path);
    emit(shell, { path, ephemerals }, () => [`[${ephemerals.join(", ")}]`]);
  },
};

export const nodeCommands: readonly Command[] = [
  ls,
  get,
  stat,
  set,
  create,
  del,
  deleteall,
  sync,
  getAllChildrenNumber,
  getEphemerals,
];
