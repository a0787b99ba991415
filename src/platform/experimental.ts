import { LifecycleError } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * CNB_EXPERIMENTAL_MODE (platform.md "Experimental Features", S-10): unset or `error` fails,
 * `warn` warns and continues, `silent` (and the reference's `quiet`) continues silently. An unknown
 * value behaves like `warn`, as the reference does, with a warning naming the value.
 */
export type ExperimentalMode = 'warn' | 'error' | 'silent' | 'unset';

export function experimentalMode(value: string | undefined): { mode: ExperimentalMode; unknown?: string } {
  if (value === undefined || value === '') return { mode: 'unset' };
  const v = value.toLowerCase();
  if (v === 'warn' || v === 'error') return { mode: v };
  if (v === 'silent' || v === 'quiet') return { mode: 'silent' };
  return { mode: 'warn', unknown: value };
}

/** Applies the mode to one experimental feature being used. */
export function checkExperimental(feature: string, value: string | undefined, log: Logger): void {
  const { mode, unknown } = experimentalMode(value);
  if (unknown !== undefined)
    log.warn(`CNB_EXPERIMENTAL_MODE='${unknown}' is not one of warn, error, silent; treating it as warn`);
  if (mode === 'unset' || mode === 'error') {
    throw new LifecycleError(
      'ERR_EXPERIMENTAL',
      'failed',
      `Platform requested experimental feature '${feature}'; experimental features are disabled by ${
        mode === 'unset' ? 'an unset CNB_EXPERIMENTAL_MODE' : 'CNB_EXPERIMENTAL_MODE=error'
      }: set CNB_EXPERIMENTAL_MODE=warn or silent to allow them`,
    );
  }
  if (mode === 'warn') log.warn(`Platform requested experimental feature '${feature}'`);
}
