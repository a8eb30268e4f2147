/**
 * The digest auth scheme: `user:password` becomes the id `user:base64(sha1("user:password"))`.
 * Digest auth never fails; a wrong password just yields an id that matches nothing.
 */

import { sha1 } from "../util/sha1.ts";

export function digestId(userPassword: string): string {
  const user = userPassword.split(":")[0];
  const hash = sha1(new TextEncoder().encode(userPassword));
  return `${user}:${btoa(String.fromCharCode(...hash))}`;
}
