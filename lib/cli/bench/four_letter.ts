/**
 * Four-letter words over TCP: send the word on a fresh connection, read until the server closes
 * it (that is how a 4lw reply ends, zk-protocol §9.1). Used to wait for a server to serve.
 */

export async function fourLetterWord(
  hostname: string,
  port: number,
  word: string,
  timeoutMs = 5_000,
): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname, port, signal: abort.signal });
    const onAbort = () => conn?.close();
    abort.signal.addEventListener("abort", onAbort);
    try {
      await conn.write(new TextEncoder().encode(word));
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(16 * 1024);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
      let total = 0;
      for (const c of chunks) total += c.byteLength;
      const all = new Uint8Array(total);
      let off = 0;
      for (const c of chunks) {
        all.set(c, off);
        off += c.byteLength;
      }
      return new TextDecoder().decode(all);
    } finally {
      abort.signal.removeEventListener("abort", onAbort);
    }
  } catch (e) {
    if (abort.signal.aborted) {
      throw new Error(`${word} on ${hostname}:${port}: no reply in ${timeoutMs} ms`);
    }
    throw e;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Closed already (by the server, or by the timeout above).
    }
  }
}
