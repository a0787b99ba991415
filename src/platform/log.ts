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
  /**
   * Only when stdout is a terminal and info is shown: replaces the one status line kept under the log
   * (progress bars, D-384); `''` clears it. Other lines are printed above it.
   */
  status?(text: string): void;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** True when a message at `msg` level is shown at logger level `level`. */
export function enabled(level: LogLevel, msg: LogLevel): boolean {
  return rank[msg] >= rank[level];
}

/** Go's `time.Duration.String()` for `ms` milliseconds: `512.25ms`, `5.2125s`, `1m2.5s`; zero is `0s`. */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  const trim = (x: string) => x.replace(/\.?0+$/, '');
  if (ns === 0) return '0s';
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1e6) return `${trim((ns / 1e3).toFixed(3))}µs`;
  if (ns < 1e9) return `${trim((ns / 1e6).toFixed(6))}ms`;
  const s = ns / 1e9;
  if (s < 60) return `${trim(s.toFixed(9))}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${m}m${trim((s % 60).toFixed(9)) || '0'}s`;
}

/**
 * Times a phase as the reference does (its `log.NewMeasurement`): `Timer: <Name> started at <RFC3339>`
 * at debug, and at the end `Timer: <Name> ran for <Go duration> and ended at <RFC3339>` — at info here,
 * so people see per-phase durations without -log-level debug (D-385). The end line is printed when `fn`
 * fails too.
 */
export async function timed<R>(log: Logger, name: string, fn: () => Promise<R>): Promise<R> {
  const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const t0 = performance.now();
  log.debug(`Timer: ${name} started at ${rfc3339(new Date())}`);
  try {
    return await fn();
  } finally {
    log.info(
      `Timer: ${name} ran for ${goDuration(performance.now() - t0)} and ended at ${rfc3339(new Date())}`,
    );
  }
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
