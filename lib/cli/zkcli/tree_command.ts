/**
 * `tree [-d depth] path`: the subtree drawn with box characters, each node with its data size
 * and, when it has children, its child and descendant counts:
 *
 *   /app (12 B, 2 children, 3 descendants)
 *   ├── config (120 B, 1 child, 1 descendant)
 *   │   └── db (40 B)
 *   └── lock (0 B, ephemeral)
 *
 * The walk goes level by level with a bounded number of requests in flight. With -d, nodes at
 * that depth are not opened: one getAllChildrenNumber request gives their descendant count and
 * their line ends in "…".
 */

import type { ZkClient } from "../../client/client.ts";
import { isZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import { mapBounded } from "./bounded_map.ts";
import { checkPath, childPath, type Command, CommandError, compareJava, emit } from "./command.ts";
import { javaHex } from "./format.ts";

const REQUESTS_IN_FLIGHT_MAX = 64;

export interface TreeNode {
  path: string;
  dataLength: number;
  numChildren: number;
  /** Nodes below this one, at any depth. */
  descendants: number;
  /** "0x0" unless ephemeral. */
  ephemeralOwner: string;
  /** Sorted; empty when the node was not opened (truncated). */
  children: TreeNode[];
  /** Below the -d limit: children not listed, descendants counted by the server. */
  truncated: boolean;
}

/** Fetches the subtree under `root`, `depthMax` levels deep (Infinity: all of it). */
export async function fetchTree(
  zk: ZkClient,
  root: string,
  depthMax: number,
  signal: AbortSignal,
): Promise<TreeNode> {
  const open = async (path: string): Promise<{ node: TreeNode; names: string[] } | null> => {
    try {
      const { children, stat } = await zk.getChildren2(path);
      const node: TreeNode = {
        path,
        dataLength: stat.dataLength,
        numChildren: children.length,
        descendants: 0,
        ephemeralOwner: `0x${javaHex(stat.ephemeralOwner)}`,
        children: [],
        truncated: false,
      };
      return { node, names: children.sort(compareJava) };
    } catch (e) {
      // A node deleted while we walk is simply not part of the picture.
      if (path !== root && isZkError(e, Err.NONODE)) return null;
      throw e;
    }
  };
  const top = (await open(root))!;
  let level = [top];
  for (let depth = 0; level.length > 0; depth++) {
    signal.throwIfAborted();
    if (depth >= depthMax) {
      const closed = level.filter((l) => l.names.length > 0);
      await mapBounded(closed, REQUESTS_IN_FLIGHT_MAX, async (l) => {
        l.node.truncated = true;
        l.node.descendants = await zk.getAllChildrenNumber(l.node.path).catch(() => 0);
      }, signal);
      break;
    }
    const next: Array<{ node: TreeNode; names: string[] }> = [];
    const parents = level.flatMap((l) => l.names.map((name) => ({ parent: l.node, name })));
    const opened = await mapBounded(
      parents,
      REQUESTS_IN_FLIGHT_MAX,
      (p) => open(childPath(p.parent.path, p.name)),
      signal,
    );
    for (let i = 0; i < parents.length; i++) {
      const o = opened[i];
      if (o === null) continue;
      parents[i].parent.children.push(o.node);
      next.push(o);
    }
    for (const l of level) l.node.numChildren = l.node.children.length;
    level = next;
  }
  countDescendants(top.node);
  return top.node;
}

function countDescendants(node: TreeNode): number {
  if (node.truncated) return node.descendants;
  let n = 0;
  for (const c of node.children) n += 1 + countDescendants(c);
  node.descendants = n;
  return n;
}

function summary(node: TreeNode): string {
  const parts = [`${node.dataLength} B`];
  if (node.numChildren > 0) {
    parts.push(`${node.numChildren} ${node.numChildren === 1 ? "child" : "children"}`);
    parts.push(`${node.descendants} ${node.descendants === 1 ? "descendant" : "descendants"}`);
  }
  if (node.ephemeralOwner !== "0x0") parts.push("ephemeral");
  return `(${parts.join(", ")})${node.truncated ? " …" : ""}`;
}

/** The drawing, one line per node. */
export function treeLines(root: TreeNode): string[] {
  const lines = [`${root.path} ${summary(root)}`];
  const draw = (node: TreeNode, indent: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      const name = child.path.slice(child.path.lastIndexOf("/") + 1);
      lines.push(`${indent}${last ? "└── " : "├── "}${name} ${summary(child)}`);
      draw(child, indent + (last ? "    " : "│   "));
    });
  };
  draw(root, "");
  return lines;
}

export const treeCommand: Command = {
  name: "tree",
  usage: "[-d depth] path",
  usageExtra: "# the subtree with data sizes and child/descendant counts",
  options: { d: true },
  argsMin: 2,
  argsMax: 2,
  needsSession: true,
  async run({ shell, zk, args, opts, signal }) {
    const depthText = opts.get("d");
    if (depthText !== undefined && !/^[0-9]+$/.test(depthText)) {
      throw new CommandError(`-d must be a depth (0 or more levels): ${depthText}`);
    }
    const path = args[1];
    checkPath(path);
    const depthMax = depthText === undefined ? Infinity : Number(depthText);
    const root = await fetchTree(zk, path, depthMax, signal);
    emit(shell, root, () => treeLines(root));
  },
};
