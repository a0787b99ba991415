import { LifecycleError } from './errors.ts';
import { INPUTS, type InputDef, type PhaseInputs } from './inputs.ts';

/**
 * The phases and the inputs each accepts (platform.md "Usage"; PLATFORM-API-VERSIONS.md §1).
 * `positional` says how many `<image>` arguments follow the flags.
 */
export const PHASES = [
  'analyzer',
  'detector',
  'restorer',
  'extender',
  'builder',
  'exporter',
  'creator',
  'rebaser',
] as const;
export type PhaseName = (typeof PHASES)[number];

export interface PhaseDef {
  readonly name: PhaseName;
  readonly flags: readonly string[];
  /**
   * Inputs read from their env var only, with no flag: the detector and builder run buildpacks as
   * CNB_USER_ID/CNB_GROUP_ID when started as root (decision 7) but, like the reference, take no -uid/-gid.
   */
  readonly envOnly?: readonly string[];
  readonly positional: 'none' | 'one' | 'one-or-more';
  /** Log header, e.g. `ANALYZING` (creator prints one per phase). */
  readonly header: string;
  readonly usage: string;
}

const common = ['log-level', 'no-color'];
const registry = ['insecure-registry'];

export const PHASE_DEFS: Readonly<Record<PhaseName, PhaseDef>> = {
  analyzer: {
    name: 'analyzer',
    flags: [
      ...common,
      ...registry,
      'analyzed',
      'cache-image',
      'daemon',
      'gid',
      'launch-cache',
      'layers',
      'layout',
      'layout-dir',
      'previous-image',
      'run',
      'run-image',
      'skip-layers',
      'tag',
      'uid',
    ],
    positional: 'one',
    header: 'ANALYZING',
    usage: 'analyzer [flags] <image>',
  },
  detector: {
    name: 'detector',
    flags: [
      ...common,
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'extensions',
      'generated',
      'group',
      'layers',
      'order',
      'plan',
      'platform',
      'run',
    ],
    envOnly: ['uid', 'gid'],
    positional: 'none',
    header: 'DETECTING',
    usage: 'detector [flags]',
  },
  restorer: {
    name: 'restorer',
    flags: [
      ...common,
      ...registry,
      'analyzed',
      'build-image',
      'cache-dir',
      'cache-image',
      'daemon',
      'generated',
      'gid',
      'group',
      'layers',
      'layout',
      'layout-dir',
      'skip-layers',
      'uid',
    ],
    positional: 'none',
    header: 'RESTORING',
    usage: 'restorer [flags]',
  },
  extender: {
    name: 'extender',
    flags: [
      ...common,
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'extended',
      'generated',
      'gid',
      'group',
      'kaniko-cache-ttl',
      'kind',
      'layers',
      'plan',
      'platform',
      'uid',
    ],
    positional: 'none',
    header: 'EXTENDING',
    usage: 'extender [flags]',
  },
  builder: {
    name: 'builder',
    flags: [
      ...common,
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'group',
      'layers',
      'plan',
      'platform',
    ],
    envOnly: ['uid', 'gid'],
    positional: 'none',
    header: 'BUILDING',
    usage: 'builder [flags]',
  },
  exporter: {
    name: 'exporter',
    flags: [
      ...common,
      ...registry,
      'analyzed',
      'app',
      'cache-dir',
      'cache-image',
      'daemon',
      'extended',
      'gid',
      'group',
      'launch-cache',
      'launcher',
      'launcher-sbom',
      'layers',
      'layout',
      'layout-dir',
      'parallel',
      'process-type',
      'project-metadata',
      'report',
      'run',
      'uid',
    ],
    positional: 'one-or-more',
    header: 'EXPORTING',
    usage: 'exporter [flags] <image> [<image>...]',
  },
  creator: {
    name: 'creator',
    flags: [
      ...common,
      ...registry,
      'app',
      'build-config',
      'buildpacks',
      'cache-dir',
      'cache-image',
      'daemon',
      'gid',
      'launch-cache',
      'launcher',
      'launcher-sbom',
      'layers',
      'layout',
      'layout-dir',
      'order',
      'parallel',
      'platform',
      'previous-image',
      'process-type',
      'project-metadata',
      'report',
      'run',
      'run-image',
      'skip-restore',
      'tag',
      'uid',
    ],
    envOnly: ['analyzed', 'group', 'plan'],
    positional: 'one',
    header: 'CREATING',
    usage: 'creator [flags] <image>',
  },
  rebaser: {
    name: 'rebaser',
    flags: [...common, ...registry, 'daemon', 'force', 'gid', 'previous-image', 'report', 'run-image', 'uid'],
    positional: 'one-or-more',
    header: 'REBASING',
    usage: 'rebaser [flags] <image> [<image>...]',
  },
};

export function isPhase(s: string | undefined): s is PhaseName {
  return s !== undefined && (PHASES as readonly string[]).includes(s);
}

/** The input definitions a phase accepts, flag name → definition (aliases included). */
export function phaseInputs(phase: PhaseName): Map<string, InputDef> {
  const wanted = new Set(PHASE_DEFS[phase].flags);
  const out = new Map<string, InputDef>();
  for (const d of INPUTS) {
    if (!wanted.has(d.flag)) continue;
    out.set(d.flag, d);
    for (const a of d.aliases ?? []) out.set(a, d);
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

export type { PhaseInputs };
