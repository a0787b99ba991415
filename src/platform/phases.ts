import type { PlatformFeature } from './api.ts';
import type { PhaseInputs } from './inputs.ts';

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

/**
 * A flag of a phase: its name, or its name and the Platform API feature that brings it (the flag exists
 * only at the versions where the predicate holds; platform-versions/platform-0.X.md "Inputs", D-300).
 */
export type PhaseFlag = string | readonly [flag: string, when: PlatformFeature];

export interface PhaseDef {
  readonly name: PhaseName;
  readonly flags: readonly PhaseFlag[];
  /**
   * Inputs read from their env var only, with no flag: the detector and builder run buildpacks as
   * CNB_USER_ID/CNB_GROUP_ID when started as root (S-7) but, like the reference, take no -uid/-gid.
   */
  readonly envOnly?: readonly string[];
  readonly positional: 'none' | 'one' | 'one-or-more';
  /** Log header, e.g. `ANALYZING` (creator prints one per phase). */
  readonly header: string;
  readonly usage: string;
}

const common = ['log-level', 'no-color'];
const registry: readonly PhaseFlag[] = [['insecure-registry', 'insecureRegistryFlag']];

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
      ['launch-cache', 'analyzerRestoresSbom'],
      'layers',
      ['layout', 'ociLayout'],
      ['layout-dir', 'ociLayout'],
      'previous-image',
      ['run', 'runToml'],
      'run-image',
      ['skip-layers', 'analyzerRestoresSbom'],
      ['stack', 'stackToml'],
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
      ['analyzed', 'imageExtensions'],
      'app',
      ['build-config', 'buildConfig'],
      'buildpacks',
      ['extensions', 'imageExtensions'],
      ['generated', 'imageExtensions'],
      'group',
      'layers',
      'order',
      'plan',
      'platform',
      ['run', 'runToml'],
      ['system', 'systemBuildpacks'],
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
      ['build-image', 'imageExtensions'],
      'cache-dir',
      'cache-image',
      ['daemon', 'targetData'],
      ['generated', 'runImageExtension'],
      'gid',
      'group',
      'layers',
      ['layout', 'ociLayout'],
      ['layout-dir', 'ociLayout'],
      ['run', 'restorerResolvesRunImage'],
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
      ['extended', 'runImageExtension'],
      'generated',
      'gid',
      'group',
      'kaniko-cache-ttl',
      ['kind', 'runImageExtension'],
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
      ['analyzed', 'targetData'],
      'app',
      ['build-config', 'buildConfig'],
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
      ['extended', 'runImageExtension'],
      'gid',
      'group',
      'launch-cache',
      'launcher',
      ['launcher-sbom', 'launcherSbom'],
      'layers',
      ['layout', 'ociLayout'],
      ['layout-dir', 'ociLayout'],
      'parallel',
      'process-type',
      'project-metadata',
      'report',
      ['run', 'runToml'],
      'image',
      'run-image',
      ['stack', 'stackToml'],
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
      ['build-config', 'buildConfig'],
      'buildpacks',
      'cache-dir',
      'cache-image',
      'daemon',
      'gid',
      'launch-cache',
      'launcher',
      ['launcher-sbom', 'launcherSbom'],
      'layers',
      ['layout', 'ociLayout'],
      ['layout-dir', 'ociLayout'],
      'order',
      'parallel',
      'platform',
      'previous-image',
      'process-type',
      'project-metadata',
      'report',
      ['run', 'runToml'],
      'run-image',
      'skip-restore',
      'stack',
      ['system', 'systemBuildpacks'],
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
    flags: [
      ...common,
      ...registry,
      'daemon',
      ['force', 'rebaseForce'],
      'gid',
      ['previous-image', 'rebaserPreviousImage'],
      'image',
      'report',
      'run-image',
      'uid',
    ],
    positional: 'one-or-more',
    header: 'REBASING',
    usage: 'rebaser [flags] <image> [<image>...]',
  },
};

export function isPhase(s: string | undefined): s is PhaseName {
  return s !== undefined && (PHASES as readonly string[]).includes(s);
}

export type { PhaseInputs };
