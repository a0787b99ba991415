import { ExitCode, type ExitCodeName } from './exit-codes.ts';

/**
 * The one error type of the lifecycle (DESIGN.md "Style" 6). `code` is a stable machine-readable
 * identifier (e.g. `ERR_TOML_PARSE`), `exitCode` what the CLI edge exits with. The message says what
 * failed, where (file, line, image, registry) and what to do; the CLI never prints a stack trace for it
 * unless the log level is debug.
 */
export class LifecycleError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, exitCode: number | ExitCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LifecycleError';
    this.code = code;
    this.exitCode = typeof exitCode === 'number' ? exitCode : ExitCode[exitCode];
  }
}

/** True for a LifecycleError (also across module copies, by shape). */
export function isLifecycleError(e: unknown): e is LifecycleError {
  return (
    e instanceof LifecycleError ||
    (e instanceof Error && typeof (e as { exitCode?: unknown }).exitCode === 'number' && 'code' in e)
  );
}

/** Message of any thrown value, for wrapping. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
