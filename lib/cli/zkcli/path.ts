/**
 * Client-side path validation with the Java client's rules and messages
 * (org.apache.zookeeper.common.PathUtils). zkCli checks every path before sending it, so these
 * texts are what users see for a bad path; the server would answer BADARGUMENTS or NONODE.
 */

/** Returns the problem with `path` as Java words it, or undefined when it is valid. */
export function pathProblem(path: string, sequential = false): string | undefined {
  // A sequential create may end in '/': the server appends the counter.
  const p = sequential ? path + "1" : path;
  if (p.length === 0) return "Path length must be > 0";
  if (p[0] !== "/") return "Path must start with / character";
  if (p.length === 1) return undefined;
  if (p[p.length - 1] === "/") return "Path must not end with / character";
  let reason: string | undefined;
  let last = "/";
  for (let i = 1; i < p.length; last = p[i], i++) {
    const c = p[i];
    const code = p.charCodeAt(i);
    if (code === 0) {
      reason = `null character not allowed @${i}`;
      break;
    } else if (c === "/" && last === "/") {
      reason = `empty node name specified @${i}`;
      break;
    } else if (c === "." && last === ".") {
      if (p[i - 2] === "/" && (i + 1 === p.length || p[i + 1] === "/")) {
        reason = `relative paths not allowed @${i}`;
        break;
      }
    } else if (c === ".") {
      if (p[i - 1] === "/" && (i + 1 === p.length || p[i + 1] === "/")) {
        reason = `relative paths not allowed @${i}`;
        break;
      }
    } else if (
      (code > 0x00 && code <= 0x1f) || (code >= 0x7f && code <= 0x9f) ||
      (code >= 0xd800 && code <= 0xf8ff) || (code >= 0xfff0 && code <= 0xffff)
    ) {
      reason = `invalid character @${i}`;
      break;
    }
  }
  return reason === undefined ? undefined : `Invalid path string "${p}" caused by ${reason}`;
}
