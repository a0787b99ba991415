import type { ErrorCode } from './error-codes.ts';
import { ExitCode, type ExitCodeName } from './exit-codes.ts';

export type { ErrorCode };

/**
 * The one error type of the lifecycle (DESIGN.md "Style" 6). `code` is a stable machine-readable
 * identifier (e.g. `ERR_TOML_PARSE`), `exitCode` what the CLI edge exits with. The message says what
 * failed, where (file, line, image, registry) and what to do; the CLI never prints a stack trace for it
 * unless the log level is debug.
 */
export class LifecycleError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(
    code: ErrorCode,
    exitCode: number | ExitCodeName,
    message: string,
    options?: { cause?: unknown },
  ) {
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

/** Exit codes that say the caller asked for something wrong (flag syntax, inputs, Platform or Buildpack API). */
export const CALLER_EXIT_CODES = ['flagParse', 'invalidArgs', 'platformApi', 'buildpackApi'] as const;

/** How one phase re-raises what failed inside it. */
export interface PhaseErrorRule {
  /** The exit code of everything not kept. */
  readonly exit: ExitCodeName;
  /**
   * Exit codes that pass through unchanged; `'specific'` keeps every code but the generic failure (1),
   * for phases whose steps raise codes of their own (12 from a group's API, 51 from bin/build, 20/21).
   */
  readonly keep: readonly ExitCodeName[] | 'specific';
  /** The code of a failure that is not a LifecycleError (a LifecycleError keeps its own). */
  readonly code: ErrorCode;
}

/** The phases' rules, side by side (platform.md, each phase's "Outputs"; docs/reference-behaviour.md §0.4). */
export const PHASE_ERRORS = {
  analyze: { exit: 'analyze', keep: CALLER_EXIT_CODES, code: 'ERR_ANALYZE' },
  detectInit: { exit: 'failed', keep: 'specific', code: 'ERR_DETECT_INIT' },
  generate: { exit: 'generate', keep: ['extensionGenerate', 'generate'], code: 'ERR_GENERATE' },
  restore: { exit: 'restore', keep: 'specific', code: 'ERR_RESTORE' },
  build: { exit: 'build', keep: 'specific', code: 'ERR_BUILD' },
  export: { exit: 'export', keep: [...CALLER_EXIT_CODES, 'export'], code: 'ERR_EXPORT' },
  rebase: { exit: 'rebase', keep: CALLER_EXIT_CODES, code: 'ERR_REBASE' },
} as const satisfies Record<string, PhaseErrorRule>;

/**
 * The one way a phase re-raises a failure: a cancellation (`AbortError`) and an error whose exit code
 * the phase's rule keeps pass through unchanged; anything else becomes a LifecycleError with the
 * phase's exit code, the inner code (or the rule's), and `<context>: <inner message>`.
 */
export function toPhaseError(e: unknown, phase: keyof typeof PHASE_ERRORS, context?: string): Error {
  if (e instanceof Error && e.name === 'AbortError') return e;
  const rule: PhaseErrorRule = PHASE_ERRORS[phase];
  if (isLifecycleError(e)) {
    const kept =
      rule.keep === 'specific'
        ? e.exitCode !== ExitCode.failed
        : rule.keep.some((name) => ExitCode[name] === e.exitCode);
    if (kept) return e;
  }
  const message = context === undefined ? messageOf(e) : `${context}: ${messageOf(e)}`;
  return new LifecycleError(isLifecycleError(e) ? e.code : rule.code, rule.exit, message, { cause: e });
}
