/**
 * Facts about the host for the four-letter words (envi, conf, dirs, mntr): versions, host
 * name, directory sizes, file descriptor counts. Read on demand; 4lw traffic is rare.
 */

import type { Config } from "../config/config.ts";
import type { FourLetterEnv } from "../admin/four_letter.ts";
import { VERSION, VERSION_LINE } from "../version.ts";

function dirBytes(path: string): number {
  let total = 0;
  try {
    for (const e of Deno.readDirSync(path)) {
      const p = `${path}/${e.name}`;
      if (e.isDirectory) total += dirBytes(p);
      else if (e.isFile) total += Deno.statSync(p).size;
    }
  } catch { /* missing or unreadable: counts as empty */ }
  return total;
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

export function hostEnvironment(config: Config): FourLetterEnv {
  return {
    versionLine: VERSION_LINE,
    environment: [
      ["host.name", safe(() => Deno.hostname(), "unknown")],
      ["zkd.version", VERSION],
      ["deno.version", Deno.version.deno],
      ["v8.version", Deno.version.v8],
      ["typescript.version", Deno.version.typescript],
      ["os.name", Deno.build.os],
      ["os.arch", Deno.build.arch],
      ["os.version", safe(() => Deno.osRelease(), "unknown")],
      ["user.dir", safe(() => Deno.cwd(), "unknown")],
      ["process.id", String(Deno.pid)],
    ],
    dataDirBytes: () => dirBytes(`${config.dataDir}/version-2`),
    dataLogDirBytes: () => dirBytes(`${config.dataLogDir}/version-2`),
    openFileDescriptors: () => safe(() => [...Deno.readDirSync("/proc/self/fd")].length, -1),
    maxFileDescriptors: () =>
      safe(() => {
        const m = /Max open files\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/limits"));
        return m ? Number(m[1]) : -1;
      }, -1),
    nowMs: () => Date.now(),
  };
}
