/**
 * Resident memory of another process, for the benchmark's memory columns. Read with
 * `ps -o rss= -p PID` (KiB): Deno lets only --allow-all programs read /proc files themselves,
 * and the bench task runs with --allow-run but narrower read permissions. Undefined when the
 * process is gone or ps is not there.
 */

export async function rssKb(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    const kb = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(kb) && kb > 0 ? kb : undefined;
  } catch {
    return undefined;
  }
}
