/**
 * Logger interface handed to library code (which never prints itself, DESIGN.md "Style" 6).
 * The CLI edge provides one writing info/debug to stdout and warn/error to stderr (S-8).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A phase header such as `===> DETECTING` (info level). */
  phase(name: string): void;
  /** Raw output of a child process (buildpack stdout goes to stdout, stderr to stderr). */
  stdout(chunk: string | Uint8Array): void;
  stderr(chunk: string | Uint8Array): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** True when a message at `msg` level is shown at logger level `level`. */
export function enabled(level: LogLevel, msg: LogLevel): boolean {
  return rank[msg] >= rank[level];
}

/** A logger that records everything (for tests and library callers that want the lines). */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (l: LogLevel) => (m: string) => {
    if (enabled(level, l)) lines.push(`${l}: ${m}`);
  };
  const text = (c: string | Uint8Array) => (typeof c === 'string' ? c : Buffer.from(c).toString());
  return {
    level,
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    phase: (n) => lines.push(`===> ${n}`),
    stdout: (c) => lines.push(`out: ${text(c)}`),
    stderr: (c) => lines.push(`err: ${text(c)}`),
  };
}

/** A logger that discards everything. */
export const nullLogger: Logger = {
  level: 'error',
  debug() {},
  info() {},
  warn() {},
  error() {},
  phase() {},
  stdout() {},
  stderr() {},
};
