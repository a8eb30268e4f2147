/**
 * CPU time used by a process, so the benchmark can show how busy the server and the load
 * generator were. Our own comes from node:process.cpuUsage(). Another process's comes from
 * Linux's /proc/<pid>/stat (utime + stime), read through `cat`: Deno lets only --allow-all
 * programs read /proc files themselves, and the bench task runs with narrower permissions.
 * Undefined where this is not available.
 */

import process from "node:process";

/** USER_HZ, the unit of /proc times: 100 on Linux whatever the kernel's tick rate. */
const TICKS_PER_S = 100;

export function selfCpuTimeMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function processCpuTimeMs(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("cat", {
      args: [`/proc/${pid}/stat`],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    const stat = new TextDecoder().decode(out.stdout);
    // The command name (field 2) may hold spaces; fields after its ')' are space-separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}
