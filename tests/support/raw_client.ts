/**
 * A deliberately minimal ZooKeeper wire client for tests that must control every byte
 * (fuzzing, malformed frames, handshakes). Real-client behaviour is tested with real
 * third-party clients in tests/interop.
 */

import { beginFrame, endFrame, JuteReader, JuteWriter } from "../../lib/proto/jute.ts";
import { FrameDecoder } from "../../lib/proto/frame.ts";
import {
  type ConnectResponse,
  readConnectResponse,
  readReplyHeader,
  type ReplyHeader,
  type Request,
  writeConnectRequest,
  writeRequest,
} from "../../lib/proto/records.ts";

export class RawConn {
  readonly conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024);
  readonly #buf = new Uint8Array(64 * 1024);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async open(port: number): Promise<RawConn> {
    return new RawConn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.byteLength) off += await this.conn.write(bytes.subarray(off));
  }

  /** Next whole frame body, or null on EOF / timeout. */
  async frame(timeoutMs = 5000): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.#decoder.next();
      if (f !== undefined) return f.slice();
      const left = deadline - Date.now();
      if (left <= 0) return null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(this.#buf).catch(() => null),
        new Promise<null>((r) => timer = setTimeout(() => r(null), left)),
      ]);
      clearTimeout(timer);
      if (n === null) return null;
      this.#decoder.push(this.#buf.subarray(0, n));
    }
  }

  /** Reads until the peer closes; true if it closed within the time. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(this.#buf).catch(() => null),
        new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
      ]);
      clearTimeout(timer);
      if (n === "timeout") return false;
      if (n === null) return true;
    }
  }

  async handshake(
    timeoutMs = 30000,
    lastZxidSeen = 0,
    resume: { sessionId: bigint; passwd: Uint8Array } | null = null,
  ): Promise<ConnectResponse> {
    const w = new JuteWriter();
    const at = beginFrame(w);
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen,
      timeOutMs: timeoutMs,
      sessionId: resume?.sessionId ?? 0n,
      passwd: resume?.passwd ?? new Uint8Array(16),
      readOnly: false,
    });
    endFrame(w, at);
    await this.write(w.toBytes());
    const f = await this.frame();
    if (f === null) throw new Error("no ConnectResponse");
    return readConnectResponse(new JuteReader(f));
  }

  static requestFrame(xid: number, req: Request): Uint8Array {
    const w = new JuteWriter();
    const at = beginFrame(w);
    w.int(xid).int(req.op);
    writeRequest(w, req);
    endFrame(w, at);
    return w.toBytes();
  }

  async call(xid: number, req: Request): Promise<{ header: ReplyHeader; body: JuteReader }> {
    await this.write(RawConn.requestFrame(xid, req));
    for (;;) {
      const f = await this.frame();
      if (f === null) throw new Error(`no reply to xid ${xid}`);
      const r = new JuteReader(f);
      const header = readReplyHeader(r);
      if (header.xid === xid) return { header, body: r };
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}
