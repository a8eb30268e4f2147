/**
 * ACL interning: most znodes share a handful of ACL lists, so the tree stores one frozen
 * array per distinct list (ZooKeeper keeps a reference-counted cache for the same reason).
 */

import type { Acl } from "../proto/records.ts";

export class AclCache {
  readonly #byKey = new Map<string, readonly Acl[]>();

  intern(acl: readonly Acl[]): readonly Acl[] {
    let key = "";
    for (const a of acl) key += `${a.perms}\u0000${a.scheme}\u0000${a.id}\u0001`;
    let hit = this.#byKey.get(key);
    if (hit === undefined) {
      hit = Object.freeze(
        acl.map((a) => Object.freeze({ perms: a.perms, scheme: a.scheme, id: a.id })),
      );
      this.#byKey.set(key, hit);
    }
    return hit;
  }

  get size(): number {
    return this.#byKey.size;
  }
}
