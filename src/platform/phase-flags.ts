import { type ApiVersion, type PlatformFeature, platformFeatures } from './api.ts';
import { LifecycleError } from './errors.ts';
import { INPUTS } from './input-table.ts';
import type { InputDef } from './inputs.ts';
import { PHASE_DEFS, type PhaseFlag, type PhaseName } from './phases.ts';

/** What a phase's entry in the phase table means for its command line (platform.md "Usage"). */

/** A phase flag's name and the feature that brings it (undefined: every version). */
export function flagOf(f: PhaseFlag): { readonly flag: string; readonly when?: PlatformFeature } {
  return typeof f === 'string' ? { flag: f } : { flag: f[0], when: f[1] };
}

/**
 * The input definitions a phase accepts at Platform API `api`, flag name → definition; without `api`,
 * those of every supported version.
 */
export function phaseInputs(phase: PhaseName, api?: ApiVersion): Map<string, InputDef> {
  const wanted = new Set(
    PHASE_DEFS[phase].flags
      .map(flagOf)
      .filter((f) => api === undefined || f.when === undefined || platformFeatures[f.when](api))
      .map((f) => f.flag),
  );
  const out = new Map<string, InputDef>();
  for (const d of INPUTS) {
    if (!wanted.has(d.flag)) continue;
    out.set(d.flag, d);
  }
  return out;
}

/** Checks the number of positional `<image>` arguments. Exit code 3 when wrong. */
export function checkPositionals(phase: PhaseName, images: readonly string[]): void {
  const def = PHASE_DEFS[phase];
  const bad = (msg: string) =>
    new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', `${msg}; usage: ${def.usage}`);
  if (def.positional === 'none' && images.length > 0)
    throw bad(`${phase} takes no arguments, received: ${images.join(' ')}`);
  if (def.positional === 'one' && images.length !== 1)
    throw bad(
      images.length === 0
        ? `${phase} needs an <image> argument`
        : `${phase} takes exactly one <image>, received ${images.length}`,
    );
  if (def.positional === 'one-or-more' && images.length === 0)
    throw bad(`${phase} needs at least one <image> argument`);
}
