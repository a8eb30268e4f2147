// Loopback networking helpers: free ports and four-letter words.

import { Deadline } from "./procs.ts";
import { concatBytes } from "../../../lib/util/bytes.ts";

/** Ports freePort() returned in this process. */
const handedOut = new Set<number>();

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). There is a
 * small race until the server binds it; callers retry startup on a bind failure.
 */
export function freePort(): number {
  // The kernel may hand the same ephemeral port out again right away; a test that asks for
  // several ports (client, admin, quorum, election) must get different ones.
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/**
 * Sends a four-letter word (e.g. "srvr", "ruok") to 127.0.0.1:port and reads the reply until the
 * server closes the connection (that is how the protocol ends a 4lw reply), bounded by timeoutMs.
 * Throws on connection failure or timeout.
 */
export async function fourLetter(port: number, word: string, timeoutMs = 5_000): Promise<string> {
  if (word.length !== 4) throw new Error(`four-letter word must have 4 characters: ${word}`);
  const deadline = new Deadline(timeoutMs);
  let conn: Deno.TcpConn | undefined;
  try {
    const work = (async () => {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode(word));
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(16 * 1024);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
      return new TextDecoder().decode(concatBytes(chunks));
    })();
    const result = await Promise.race([work, deadline.promise]);
    if (result === "timeout") {
      work.catch(() => {}); // The close below makes the pending read reject; ignore that.
      throw new Error(`four-letter word ${word} on port ${port}: no EOF within ${timeoutMs} ms`);
    }
    return result;
  } finally {
    deadline.cancel();
    try {
      conn?.close();
    } catch {
      // Already closed by the peer.
    }
  }
}

/** Writes a zoo.cfg from key/value pairs (insertion order kept, so overrides come last). */
export function renderZooCfg(entries: Record<string, string>): string {
  return Object.entries(entries).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}
