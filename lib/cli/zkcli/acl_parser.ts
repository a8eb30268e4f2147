/**
 * zkCli's ACL argument syntax: "scheme:id:perms[,scheme:id:perms...]" with perms drawn from
 * "rwcda". Like zkCli's AclParser, a malformed entry or an unknown perm letter is reported and
 * skipped rather than rejected, so the server has the last word (INVALIDACL).
 */

import { Perm } from "../../proto/ops.ts";
import type { Acl } from "../../proto/records.ts";

export interface ParsedAcl {
  acl: Acl[];
  /** Lines zkCli prints on stderr while parsing. */
  warnings: string[];
}

const PERM_BY_LETTER: Readonly<Record<string, number>> = {
  r: Perm.READ,
  w: Perm.WRITE,
  c: Perm.CREATE,
  d: Perm.DELETE,
  a: Perm.ADMIN,
};

export function parseAcl(text: string): ParsedAcl {
  const acl: Acl[] = [];
  const warnings: string[] = [];
  for (const entry of text.split(",")) {
    const first = entry.indexOf(":");
    const last = entry.lastIndexOf(":");
    if (first === -1 || first === last) {
      warnings.push(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const letter of entry.slice(last + 1)) {
      const bit = PERM_BY_LETTER[letter];
      if (bit === undefined) warnings.push(`Unknown perm type: ${letter}`);
      else perms |= bit;
    }
    acl.push({ scheme: entry.slice(0, first), id: entry.slice(first + 1, last), perms });
  }
  return { acl, warnings };
}
