/**
 * `export path [file]` and `import file [path]`: a subtree to and from the JSON file of
 * export_format.ts. Export reads each node's data, ACL and children with a bounded number of
 * requests in flight and leaves ZooKeeper's own /zookeeper subtree out of an export of "/".
 * Import creates the nodes parents first, pipelined (a session's requests are applied in the
 * order sent, so a child never overtakes its parent); it never overwrites: the first node that
 * already exists stops it, and the error says how many nodes were created.
 */

import type { ZkClient } from "../../client/client.ts";
import { isZkError, ZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import { mapBounded } from "./bounded_map.ts";
import {
  checkPath,
  childPath,
  type Command,
  CommandError,
  compareJava,
  emit,
  isSystemPath,
} from "./command.ts";
import {
  aclFromJson,
  decodeData,
  encodeData,
  EXPORT_FORMAT,
  EXPORT_NOTE,
  EXPORT_VERSION,
  type ExportDocument,
  type ExportedNode,
  ExportFormatError,
  parseExport,
  relocate,
} from "./export_format.ts";
import { keeperErrorText } from "./format.ts";
import { aclJson } from "./json_values.ts";

/** Nodes read at once by export (three requests each). */
const NODES_IN_FLIGHT_MAX = 32;
/** Creates in flight during import. */
const CREATES_IN_FLIGHT_MAX = 128;

/** A file error in a few words (Deno's own messages repeat the path and the syscall). */
function fileProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

interface Fetched {
  node: ExportedNode;
  children: string[];
}

async function fetchNode(zk: ZkClient, path: string): Promise<Fetched | null> {
  try {
    const [{ data, stat }, { acl }, children] = await Promise.all([
      zk.getData(path),
      zk.getACL(path),
      zk.getChildren(path),
    ]);
    const node: ExportedNode = { path, data: encodeData(data), acl: aclJson(acl) };
    if (stat.ephemeralOwner !== 0n) node.ephemeral = true;
    return { node, children: children.sort(compareJava) };
  } catch (e) {
    if (isZkError(e, Err.NONODE)) return null;
    throw e;
  }
}

/** The subtree in pre-order (each node, then its children's subtrees in sorted order). */
async function exportSubtree(
  zk: ZkClient,
  root: string,
  signal: AbortSignal,
): Promise<ExportedNode[]> {
  const byPath = new Map<string, Fetched>();
  const top = await fetchNode(zk, root);
  if (top === null) throw new ZkError(Err.NONODE, root);
  byPath.set(root, top);
  // ZooKeeper's own nodes are not user data, unless they are what was asked for.
  const wanted = isSystemPath(root) ? () => true : (p: string) => !isSystemPath(p);
  let level = [top];
  while (level.length > 0) {
    const paths = level.flatMap((f) =>
      f.children.map((c) => childPath(f.node.path, c)).filter(wanted)
    );
    const fetched = await mapBounded(paths, NODES_IN_FLIGHT_MAX, (p) => fetchNode(zk, p), signal);
    level = [];
    for (const f of fetched) {
      if (f === null) continue; // deleted while we walked
      byPath.set(f.node.path, f);
      level.push(f);
    }
  }
  const out: ExportedNode[] = [];
  const visit = (path: string) => {
    const f = byPath.get(path);
    if (f === undefined) return;
    out.push(f.node);
    for (const c of f.children) visit(childPath(path, c));
  };
  visit(root);
  return out;
}

export const exportCommand: Command = {
  name: "export",
  usage: "path [file]",
  usageExtra: "# the subtree as JSON (data base64, ACLs) to file or stdout",
  options: {},
  argsMin: 2,
  argsMax: 3,
  needsSession: true,
  async run({ shell, zk, args, signal }) {
    const path = args[1];
    const file = args[2];
    checkPath(path);
    const nodes = await exportSubtree(zk, path, signal);
    const doc: ExportDocument = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      root: path,
      exportedAt: new Date().toISOString(),
      note: EXPORT_NOTE,
      nodes,
    };
    if (file === undefined || file === "-") {
      // The document is the result: one line in --json mode, indented for people otherwise.
      if (shell.json) shell.out(JSON.stringify(doc));
      else shell.out(JSON.stringify(doc, null, 2));
      return;
    }
    try {
      await Deno.writeTextFile(file, JSON.stringify(doc, null, 2) + "\n");
    } catch (e) {
      throw new CommandError(`cannot write ${file}: ${fileProblem(e)}`);
    }
    emit(shell, { path, file, nodes: nodes.length }, () => [
      `Exported ${nodes.length} node${nodes.length === 1 ? "" : "s"} under ${path} to ${file}`,
    ]);
  },
};

/**
 * Creates `nodes` (already relocated) in order, at most CREATES_IN_FLIGHT_MAX at a time. On the
 * first failure it sends nothing more, waits for what is in flight and throws that failure with
 * the number of nodes created.
 */
async function createAll(
  zk: ZkClient,
  nodes: readonly ExportedNode[],
  signal: AbortSignal,
): Promise<number> {
  let created = 0;
  let failure: { index: number; error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < nodes.length && failure === undefined; i++) {
    if (signal.aborted) break;
    const n = nodes[i];
    const p: Promise<void> = zk.create(n.path, decodeData(n.data), { acl: aclFromJson(n.acl) })
      .then(
        () => void created++,
        (error) => {
          if (failure === undefined || i < failure.index) failure = { index: i, error };
        },
      ).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= CREATES_IN_FLIGHT_MAX) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  signal.throwIfAborted();
  if (failure !== undefined) {
    const e = failure.error;
    const text = e instanceof ZkError ? keeperErrorText(e.code, e.path) : String(e);
    throw new CommandError(`${text} (imported ${created} of ${nodes.length} nodes)`);
  }
  return created;
}

export const importCommand: Command = {
  name: "import",
  usage: "file [path]",
  usageExtra: "# create the subtree of an export file (at its old path or under path)",
  options: {},
  argsMin: 2,
  argsMax: 3,
  needsSession: true,
  async run({ shell, zk, args, signal }) {
    const file = args[1];
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new CommandError(`cannot read ${file}: ${fileProblem(e)}`);
    }
    let doc: ExportDocument;
    try {
      doc = parseExport(text, file);
    } catch (e) {
      if (e instanceof ExportFormatError) throw new CommandError(e.message);
      throw e;
    }
    const target = args[2] ?? doc.root;
    checkPath(target);
    const skipped = doc.nodes.filter((n) => n.ephemeral).length;
    const nodes = doc.nodes
      .filter((n) => !n.ephemeral)
      .map((n) => ({ ...n, path: relocate(n.path, doc.root, target) }))
      // The root always exists; its data and ACL are left as they are.
      .filter((n) => n.path !== "/");
    const created = await createAll(zk, nodes, signal);
    emit(shell, { path: target, file, created, skippedEphemeral: skipped }, () => [
      `Imported ${created} node${created === 1 ? "" : "s"} under ${target} from ${file}` +
      (skipped > 0 ? ` (${skipped} ephemeral skipped)` : ""),
    ]);
  },
};
