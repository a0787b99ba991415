import type { ApiVersion } from './api.ts';
import { LifecycleError } from './errors.ts';
import { givenValue, listItems, mergeList, type RawFlagValue } from './given-flags.ts';
import { type FlagSpec, parseFlags, parseGoBool } from './go-flags.ts';
import { INPUTS } from './input-table.ts';
import {
  type DefaultContext,
  type InputDef,
  isExperimentalAt,
  type PhaseInputs,
  validLogLevel,
} from './inputs.ts';
import { checkPositionals, phaseInputs } from './phase-flags.ts';
import { PHASE_DEFS, type PhaseName } from './phases.ts';

export interface Resolved {
  readonly inputs: PhaseInputs;
  readonly help: boolean;
  /** True when -version was given. */
  readonly version: boolean;
  /** Flag-like arguments after the first positional one: not flags (Go stops at the first positional). */
  readonly unconsumed: readonly string[];
  /** Experimental features the inputs invoke (platform.md "Experimental Features"). */
  readonly experimental: readonly string[];
}

function invalid(message: string): LifecycleError {
  return new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', message);
}

function convert(d: InputDef, raw: RawFlagValue, source: string): unknown {
  switch (d.kind) {
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const b = parseGoBool(String(raw));
      if (b === undefined) throw invalid(`invalid boolean value '${raw}' for ${source}: use true or false`);
      return b;
    }
    case 'int': {
      const s = String(raw);
      if (!/^[+-]?\d+$/.test(s)) throw invalid(`invalid value '${s}' for ${source}: expected an integer`);
      return Number.parseInt(s, 10);
    }
    case 'list':
      return listItems(typeof raw === 'boolean' ? String(raw) : raw);
    default:
      return String(raw);
  }
}

/**
 * Resolves a phase's inputs at Platform API `api`: flag > env var > default (platform.md "Usage").
 * Flags are those of `api` (a flag of another version exits 2, as Go's flag package); env vars are read
 * for every input the phase has at any version, as the reference (D-300). Without `api`, every version's
 * flags are accepted. Pure apart from `exists` (used by the `-order` default). Throws exit code 3 on
 * invalid input.
 */
export function resolveInputs(
  phase: PhaseName,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
  api?: ApiVersion,
): Resolved {
  const accepted = phaseInputs(phase, api);
  const known = phaseInputs(phase);
  const specs: FlagSpec[] = [...accepted.entries()].map(([flag, d]) => ({
    name: flag,
    kind: d.kind === 'duration' ? 'string' : d.kind,
  }));
  const parsed = parseFlags(args, specs);

  const given = new Map<InputDef, unknown>();
  for (const [flag, raw] of parsed.values) {
    const d = accepted.get(flag)!;
    const v = givenValue(raw); // an empty value is not given (D-270)
    if (v !== undefined) given.set(d, convert(d, v, `-${flag}`));
  }
  const out: Record<string, unknown> = {};
  const acceptedDefs = new Set(known.values());
  // Env vars and defaults: for inputs the phase accepts only.
  const value = (d: InputDef): unknown => {
    const e = d.env === undefined ? undefined : env[d.env];
    const fromEnv = e !== undefined && e !== '' ? convert(d, e, d.env!) : undefined;
    if (d.kind === 'list' && given.has(d) && fromEnv !== undefined)
      return mergeList(fromEnv as string[], given.get(d) as string[]); // D-271
    return given.has(d) ? given.get(d) : fromEnv;
  };
  const envOnly = new Set(PHASE_DEFS[phase].envOnly ?? []);
  for (const d of INPUTS) if (acceptedDefs.has(d) || envOnly.has(d.flag)) out[d.key] = value(d);
  const layers = (out['layers'] as string | undefined) ?? (env['CNB_LAYERS_DIR'] || '/layers');
  out['layers'] = layers;
  const ctx: DefaultContext = { layers, exists };
  for (const d of INPUTS) {
    if (out[d.key] !== undefined) continue;
    if (typeof d.default === 'object') out[d.key] = d.default.derive(ctx);
    else if (d.default !== undefined) out[d.key] = d.default;
    else if (d.kind === 'list') out[d.key] = [];
  }
  out['logLevel'] = validLogLevel(String(out['logLevel']));
  out['images'] = [...parsed.positionals];
  // Absent optional inputs are absent keys (an empty value, e.g. `-cache-dir=`, means unset, as in Go).
  for (const d of INPUTS)
    if (out[d.key] === undefined || (out[d.key] === '' && d.default === undefined)) delete out[d.key];
  const inputs = out as unknown as PhaseInputs;
  if (parsed.version) return { inputs, help: false, version: true, experimental: [], unconsumed: [] };
  if (!parsed.help) checkPositionals(phase, inputs.images);
  if (inputs.kind !== 'build' && inputs.kind !== 'run')
    throw invalid(`invalid -kind '${inputs.kind}': use build or run`);

  const experimental: string[] = [];
  for (const d of INPUTS) {
    if (!d.experimental || !acceptedDefs.has(d) || !isExperimentalAt(d, api)) continue;
    const v = out[d.key];
    if (v !== undefined && v !== false && v !== '') experimental.push(d.experimental);
  }
  if (inputs.layout && !inputs.layoutDir)
    throw invalid(
      '-layout needs -layout-dir (or CNB_LAYOUT_DIR): the root directory of the OCI layout images',
    );
  const unconsumed = inputs.images.slice(1).filter((a) => a.startsWith('-'));
  return { inputs, help: parsed.help, version: false, experimental, unconsumed };
}
