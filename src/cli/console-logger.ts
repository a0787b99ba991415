import { enabled, type Logger, type LogLevel } from '../platform/index.ts';

/** Where the CLI writes: the process's stdout and stderr (or test buffers). */
export interface Streams {
  readonly out: { write(chunk: string | Uint8Array): unknown };
  readonly err: { write(chunk: string | Uint8Array): unknown };
}

/**
 * The CLI's logger: info and debug to stdout, warnings and errors to stderr (platform.md each
 * phase's "Outputs"; S-8). Errors are prefixed `ERROR: `, warnings `Warning: `, as the
 * reference lifecycle prints them.
 */
export function consoleLogger(level: LogLevel, io: Streams): Logger {
  const line = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  return {
    level,
    debug: (m) => enabled(level, 'debug') && io.out.write(line(m)),
    info: (m) => enabled(level, 'info') && io.out.write(line(m)),
    warn: (m) => enabled(level, 'warn') && io.err.write(line(`Warning: ${m}`)),
    error: (m) => io.err.write(line(`ERROR: ${m}`)),
    phase: (n) => enabled(level, 'info') && io.out.write(`===> ${n}\n`),
    stdout: (c) => enabled(level, 'info') && io.out.write(c),
    stderr: (c) => io.err.write(c),
  } as Logger;
}
