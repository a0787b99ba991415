import { enabled, type Logger, type LogLevel } from '../platform/index.ts';

/** Where the CLI writes: the process's stdout and stderr (or test buffers). */
export interface Streams {
  readonly out: {
    write(chunk: string | Uint8Array): unknown;
    readonly isTTY?: boolean;
    readonly columns?: number;
  };
  readonly err: { write(chunk: string | Uint8Array): unknown };
}

/**
 * The CLI's logger: info and debug to stdout, warnings and errors to stderr (platform.md each
 * phase's "Outputs"; S-8). Errors are prefixed `ERROR: `, warnings `Warning: `, as the
 * reference lifecycle prints them. When stdout is a terminal and info is shown, it also keeps one
 * status line under the log (progress bars, D-384): cleared before any other output, drawn again after.
 */
export function consoleLogger(level: LogLevel, io: Streams): Logger {
  const line = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  const tty = io.out.isTTY === true && enabled(level, 'info');
  let status = '';
  const clear = () => {
    if (status !== '') io.out.write('\r\x1b[K');
  };
  const draw = () => {
    if (status === '') return;
    const width = Math.max(20, (io.out.columns ?? 80) - 1);
    io.out.write(status.length > width ? `${status.slice(0, width - 1)}…` : status);
  };
  /** Writes `c` to `to`, keeping the status line below it. */
  const write = (to: Streams['out'] | Streams['err'], c: string | Uint8Array) => {
    if (!tty || status === '') return to.write(c);
    clear();
    to.write(c);
    const text = typeof c === 'string' ? c : Buffer.from(c).toString();
    if (text.endsWith('\n')) draw();
    return true;
  };
  return {
    level,
    debug: (m) => enabled(level, 'debug') && write(io.out, line(m)),
    info: (m) => enabled(level, 'info') && write(io.out, line(m)),
    warn: (m) => enabled(level, 'warn') && write(io.err, line(`Warning: ${m}`)),
    error: (m) => write(io.err, line(`ERROR: ${m}`)),
    phase: (n) => enabled(level, 'info') && write(io.out, `===> ${n}\n`),
    stdout: (c) => enabled(level, 'info') && write(io.out, c),
    stderr: (c) => write(io.err, c),
    ...(tty
      ? {
          status: (text: string) => {
            clear();
            status = text.replace(/\n/g, ' ');
            draw();
          },
        }
      : {}),
  } as Logger;
}
