/**
 * A loopback TCP proxy for fault injection in client tests: it forwards to a target port and
 * can cut every connection (connection loss), stall them (a silent peer: bytes are held, not
 * forwarded) or refuse new ones (a server that is down).
 */

export class TcpProxy {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #tasks = new Set<Promise<void>>();
  #refusing = false;
  #stalled: Promise<void> | null = null;
  #unstall: (() => void) | null = null;
  #acceptLoop: Promise<void>;
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(listener: Deno.TcpListener, targetPort: number) {
    this.#listener = listener;
    this.#targetPort = targetPort;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#acceptLoop = this.#accept();
  }

  static start(targetPort: number): TcpProxy {
    return new TcpProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Closes every open connection, both sides. */
  cut(): void {
    for (const c of this.#conns) closeQuietly(c);
    this.#conns.clear();
  }

  /** Holds all bytes in both directions until unstall(); the connections stay open. */
  stall(): void {
    if (this.#stalled !== null) return;
    this.#stalled = new Promise((resolve) => (this.#unstall = resolve));
  }

  unstall(): void {
    this.#unstall?.();
    this.#stalled = null;
    this.#unstall = null;
  }

  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void {
    this.#refusing = on;
  }

  async close(): Promise<void> {
    this.#listener.close();
    this.unstall();
    this.cut();
    await this.#acceptLoop;
    await Promise.allSettled([...this.#tasks]);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      this.accepted++;
      if (this.#refusing) {
        closeQuietly(client);
        continue;
      }
      const task = this.#serve(client);
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async #serve(client: Deno.TcpConn): Promise<void> {
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
    } catch {
      closeQuietly(client);
      return;
    }
    this.#conns.add(client);
    this.#conns.add(server);
    const pipe = async (from: Deno.TcpConn, to: Deno.TcpConn) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          if (this.#stalled !== null) await this.#stalled;
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch {
        // Either side closed.
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        this.#conns.delete(from);
        this.#conns.delete(to);
      }
    };
    await Promise.all([pipe(client, server), pipe(server, client)]);
  }
}

function closeQuietly(c: Deno.TcpConn): void {
  try {
    c.close();
  } catch {
    // Already closed.
  }
}
