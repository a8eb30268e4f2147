/**
 * ZooKeeper's path rules (PathUtils.validatePath), checked on UTF-16 code units as Java does.
 * Returns a reason string for an invalid path, or null when it is valid.
 */

export function invalidPathReason(path: string, isSequential = false): string | null {
  if (path.length === 0) return "Path length must be > 0";
  if (path.charCodeAt(0) !== 0x2f) return "Path must start with / character";
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f && !isSequential) {
    return "Path must not end with / character";
  }
  let prev = 0x2f;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && prev === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e && prev === 0x2e) {
      const before = path.charCodeAt(i - 2);
      const after = i + 1 === path.length ? 0x2f : path.charCodeAt(i + 1);
      if (before === 0x2f && after === 0x2f) return `relative paths not allowed @${i}`;
    } else if (c === 0x2e) {
      const after = i + 1 === path.length ? 0x2f : path.charCodeAt(i + 1);
      if (prev === 0x2f && after === 0x2f) return `relative paths not allowed @${i}`;
    } else if (
      (c > 0x00 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character @${i}`;
    }
    prev = c;
  }
  return null;
}

/** The parent of a valid absolute path ("/" for top-level nodes). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The last segment of a path ("" for "/"). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
