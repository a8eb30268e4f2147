/**
 * A loopback TCP proxy for one directed quorum link, which a test can cut and heal. While
 * down it closes every proxied connection and refuses (accepts then closes) new ones, so
 * the sender sees its link break, as with a real partition.
 */

export class LinkProxy {
  readonly port: number;
  readonly #target: number;
  readonly #listener: Deno.TcpListener;
  readonly #pairs = new Set<[Deno.TcpConn, Deno.TcpConn]>();
  #down = false;
  #closed = false;

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accept();
  }

  setDown(down: boolean): void {
    this.#down = down;
    if (down) {
      for (const pair of [...this.#pairs]) this.#closePair(pair);
    }
  }

  async #accept(): Promise<void> {
    for (;;) {
      let inbound: Deno.TcpConn;
      try {
        inbound = await this.#listener.accept();
      } catch {
        return;
      }
      if (this.#down || this.#closed) {
        inbound.close();
        continue;
      }
      this.#connect(inbound);
    }
  }

  async #connect(inbound: Deno.TcpConn): Promise<void> {
    let outbound: Deno.TcpConn;
    try {
      outbound = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
    } catch {
      inbound.close();
      return;
    }
    const pair: [Deno.TcpConn, Deno.TcpConn] = [inbound, outbound];
    if (this.#down || this.#closed) {
      this.#closePair(pair);
      return;
    }
    this.#pairs.add(pair);
    this.#pump(inbound, outbound, pair);
    this.#pump(outbound, inbound, pair);
  }

  async #pump(
    from: Deno.TcpConn,
    to: Deno.TcpConn,
    pair: [Deno.TcpConn, Deno.TcpConn],
  ): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch {
      // closed by the other side or by a cut
    }
    this.#closePair(pair);
  }

  #closePair(pair: [Deno.TcpConn, Deno.TcpConn]): void {
    this.#pairs.delete(pair);
    for (const c of pair) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }

  close(): void {
    this.#closed = true;
    this.setDown(true);
    try {
      this.#listener.close();
    } catch { /* closed */ }
  }
}
