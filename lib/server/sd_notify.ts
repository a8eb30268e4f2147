/**
 * systemd's readiness protocol (sd_notify(3)): when the unit is `Type=notify`, systemd sets
 * NOTIFY_SOCKET to a unix datagram socket and waits for `READY=1` before it calls the service
 * started; `STOPPING=1` tells it a graceful stop has begun.
 *
 * Deno sends unix datagrams only with `--unstable-net` (Deno.listenDatagram), which the
 * compiled binary is built with (deno.json `compile`). Without it, or with an abstract socket
 * name (`@...`, which Deno cannot address), zkd logs why and carries on: a Type=notify unit
 * would then time out, so the log line names the cause.
 */

import type { Logger } from "./log.ts";

interface DatagramConn {
  send(data: Uint8Array, addr: { transport: "unixpacket"; path: string }): Promise<number>;
  close(): void;
}

type ListenDatagram = (
  options: { transport: "unixpacket"; path: string },
) => DatagramConn;

const encoder = new TextEncoder();

/** Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET; false if there is none or it failed. */
export async function sdNotify(state: string, log: Logger): Promise<boolean> {
  let target: string | undefined;
  try {
    target = Deno.env.get("NOTIFY_SOCKET");
  } catch {
    return false; // no --allow-env: not run by systemd as zkd's units run it
  }
  if (target === undefined || target === "") return false;
  if (target.startsWith("@")) {
    log.warn(`sd_notify: NOTIFY_SOCKET ${target} is an abstract socket, which zkd cannot use`);
    return false;
  }
  const listen = (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  if (typeof listen !== "function") {
    log.warn(
      "sd_notify: NOTIFY_SOCKET is set but this zkd runs without --unstable-net, so it cannot " +
        `tell systemd ${state}`,
    );
    return false;
  }
  let dir: string | undefined;
  try {
    // A datagram socket needs a bound path to send from; it lives only for this call.
    dir = Deno.makeTempDirSync({ prefix: "zkd-notify-" });
    const conn = listen({ transport: "unixpacket", path: `${dir}/s` });
    try {
      await conn.send(encoder.encode(state), { transport: "unixpacket", path: target });
    } finally {
      conn.close();
    }
    return true;
  } catch (e) {
    log.warn(`sd_notify ${state} to ${target} failed: ${(e as Error).message}`);
    return false;
  } finally {
    if (dir !== undefined) {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* best effort */ }
    }
  }
}
