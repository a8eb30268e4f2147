/**
 * Logging to stderr with levels, as plain lines or JSON lines. Pure code never logs
 * directly; it reports through the interfaces it is given, and the shell logs here.
 */

export type Level = "debug" | "info" | "warn" | "error";

const rank: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  log(level: Level, message: string): void;
}

export interface LoggerOptions {
  level: Level;
  json: boolean;
  write: (line: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const min = rank[options.level];
  const log = (level: Level, message: string) => {
    if (rank[level] < min) return;
    const time = new Date().toISOString();
    options.write(
      options.json
        ? JSON.stringify({ time, level, message })
        : `${time} ${level.toUpperCase().padEnd(5)} ${message}`,
    );
  };
  return {
    log,
    debug: (m) => log("debug", m),
    info: (m) => log("info", m),
    warn: (m) => log("warn", m),
    error: (m) => log("error", m),
  };
}

export function isLevel(s: string): s is Level {
  return s in rank;
}
