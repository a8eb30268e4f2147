/**
 * The shell's ACL and identity commands with zkCli 3.8's syntax and texts: getAcl, setAcl,
 * addauth, whoami.
 */

import { ZkError } from "../../client/errors.ts";
import { parseAcl } from "./acl_parser.ts";
import {
  checkPath,
  childPath,
  type Command,
  CommandError,
  emit,
  parseVersion,
  warn,
} from "./command.ts";
import { keeperErrorText, statLines } from "./format.ts";
import { aclJson, permString, statJson } from "./json_values.ts";

const getAcl: Command = {
  name: "getAcl",
  usage: "[-s] path",
  options: { s: false },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const path = args[1];
    checkPath(path);
    const { acl, stat } = await zk.getACL(path);
    emit(shell, { path, acl: aclJson(acl), stat: statJson(stat) }, () => [
      // zkCli prints each entry over two lines: "'scheme,'id" then ": perms".
      ...acl.flatMap((a) => [`'${a.scheme},'${a.id}`, `: ${permString(a.perms)}`]),
      ...(opts.has("s") ? statLines(stat) : []),
    ]);
  },
};

const setAcl: Command = {
  name: "setAcl",
  usage: "[-s] [-v version] [-R] path acl",
  options: { s: false, v: true, R: false },
  argsMin: 3,
  needsSession: true,
  async run({ shell, zk, args, opts, signal }) {
    const path = args[1];
    const version = parseVersion(opts.get("v"));
    checkPath(path);
    const parsed = parseAcl(args[2]);
    for (const w of parsed.warnings) warn(shell, w);
    if (opts.has("R")) {
      // zkCli's -R: the ACL (and -v) on every node of the subtree, carrying on past failures.
      const paths = [path];
      for (let i = 0; i < paths.length; i++) {
        signal.throwIfAborted();
        for (const child of await zk.getChildren(paths[i])) paths.push(childPath(paths[i], child));
      }
      const failures: string[] = [];
      await Promise.all(paths.map((p) =>
        zk.setACL(p, parsed.acl, version).catch((e) => {
          failures.push(e instanceof ZkError ? keeperErrorText(e.code, e.path) : String(e));
        })
      ));
      if (failures.length > 0) throw new CommandError(...failures);
      emit(shell, { path, paths }, () => []);
      return;
    }
    const stat = await zk.setACL(path, parsed.acl, version);
    emit(shell, { path, stat: statJson(stat) }, () => opts.has("s") ? statLines(stat) : []);
  },
};

const addauth: Command = {
  name: "addauth",
  usage: "scheme auth",
  options: {},
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args }) {
    await zk.addAuth(args[1], args[2] ?? "");
    emit(shell, { scheme: args[1] }, () => []);
  },
};

const whoami: Command = {
  name: "whoami",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: true,
  async run({ shell, zk }) {
    const infos = await zk.whoAmI();
    emit(
      shell,
      { ids: infos.map((i) => ({ scheme: i.authScheme, user: i.user })) },
      () => ["Auth scheme: User", ...infos.map((i) => `${i.authScheme}: ${i.user}`)],
    );
  },
};

export const aclCommands: readonly Command[] = [getAcl, setAcl, addauth, whoami];
