import { type ApiVersion, type PlatformFeature, platformFeatures } from './api.ts';
import { LifecycleError } from './errors.ts';
import { LOG_LEVELS, type LogLevel } from './log.ts';

/**
 * Every input of every phase, with its flag, env var and default, from one table
 * (platform.md "Usage" → each phase's "Inputs"; PLATFORM-API-VERSIONS.md §1 "Phase inputs").
 * Resolution is pure: flags beat env vars, env vars beat defaults (platform.md "Usage":
 * "MUST give command line inputs precedence over other inputs").
 */
export type InputKind = 'string' | 'bool' | 'int' | 'list' | 'duration';

/** Resolved inputs. Paths are as given (the CLI edge makes them absolute). */
export interface PhaseInputs {
  analyzed: string;
  app: string;
  buildConfig: string;
  buildImage?: string;
  buildpacks: string;
  cacheDir?: string;
  cacheImage?: string;
  daemon: boolean;
  extended: string;
  extensions: string;
  force: boolean;
  generated: string;
  gid?: number;
  group: string;
  insecureRegistries: string[];
  kanikoCacheTtl: string;
  kind: string;
  launchCache?: string;
  launcher: string;
  launcherSbom: string;
  layers: string;
  layout: boolean;
  layoutDir?: string;
  logLevel: LogLevel;
  /** Accepted for compatibility; this lifecycle never colours its output. */
  noColor: boolean;
  order: string;
  parallel: boolean;
  plan: string;
  platform: string;
  previousImage?: string;
  processType?: string;
  projectMetadata: string;
  report: string;
  run: string;
  runImage?: string;
  /** `-image`, the deprecated spelling of `-run-image` (exporter and rebaser only, D-312). */
  deprecatedRunImage?: string;
  skipLayers: boolean;
  skipRestore: boolean;
  /** `-stack` / CNB_STACK_PATH (stack.toml; before Platform API 0.12, and the creator's at every version). */
  stack: string;
  /** `-system` / CNB_SYSTEM_PATH (system.toml; Platform API 0.15+). */
  system: string;
  tags: string[];
  uid?: number;
  /** Positional image arguments. */
  images: string[];
}

type Key = Exclude<keyof PhaseInputs, 'images'>;

/** Context for defaults that depend on other inputs or on the file system. */
export interface DefaultContext {
  readonly layers: string;
  readonly exists: (path: string) => boolean;
}

export interface InputDef {
  readonly key: Key;
  readonly flag: string;
  readonly kind: InputKind;
  readonly env?: string;
  readonly default?: string | boolean | DerivedDefault;
  /** Set for experimental inputs (platform.md "Experimental Features"); the text names the feature. */
  readonly experimental?: string;
  /** When set, the input is experimental only at the Platform APIs where this predicate holds. */
  readonly experimentalWhen?: PlatformFeature;
  readonly description: string;
}

/** A default that depends on other inputs or the file system. */
export interface DerivedDefault {
  /** How the docs and -help describe it. */
  readonly doc: string;
  readonly derive: (c: DefaultContext) => string;
}

const under = (layers: string, file: string) => `${layers.replace(/\/+$/, '')}/${file}`;
const inLayers = (file: string): DerivedDefault => ({
  doc: `<layers>/${file}`,
  derive: (c) => under(c.layers, file),
});
/** `-order`: `<layers>/order.toml` if present, or `/cnb/order.toml` (platform.md `detector` inputs). */
const orderDefault: DerivedDefault = {
  doc: '<layers>/order.toml if present, else /cnb/order.toml',
  derive: (c) =>
    c.exists(under(c.layers, 'order.toml')) ? under(c.layers, 'order.toml') : '/cnb/order.toml',
};

export const INPUTS: readonly InputDef[] = [
  {
    key: 'analyzed',
    flag: 'analyzed',
    kind: 'string',
    env: 'CNB_ANALYZED_PATH',
    default: inLayers('analyzed.toml'),
    description: 'Path to analysis metadata (analyzed.toml)',
  },
  {
    key: 'app',
    flag: 'app',
    kind: 'string',
    env: 'CNB_APP_DIR',
    default: '/workspace',
    description: 'Path to application directory',
  },
  {
    key: 'buildConfig',
    flag: 'build-config',
    kind: 'string',
    env: 'CNB_BUILD_CONFIG_DIR',
    default: '/cnb/build-config',
    description: 'Path to build config directory',
  },
  {
    key: 'buildImage',
    flag: 'build-image',
    kind: 'string',
    env: 'CNB_BUILD_IMAGE',
    experimental: 'Dockerfiles',
    experimentalWhen: 'extensionsExperimental',
    description: 'Reference to the current build image (image extensions)',
  },
  {
    key: 'buildpacks',
    flag: 'buildpacks',
    kind: 'string',
    env: 'CNB_BUILDPACKS_DIR',
    default: '/cnb/buildpacks',
    description: 'Path to buildpacks directory',
  },
  {
    key: 'cacheDir',
    flag: 'cache-dir',
    kind: 'string',
    env: 'CNB_CACHE_DIR',
    description: 'Path to a cache directory',
  },
  {
    key: 'cacheImage',
    flag: 'cache-image',
    kind: 'string',
    env: 'CNB_CACHE_IMAGE',
    description: 'Reference to a cache image in an OCI registry',
  },
  {
    key: 'daemon',
    flag: 'daemon',
    kind: 'bool',
    env: 'CNB_USE_DAEMON',
    default: false,
    description: 'Use the docker daemon',
  },
  {
    key: 'extended',
    flag: 'extended',
    kind: 'string',
    env: 'CNB_EXTENDED_DIR',
    default: inLayers('extended'),
    description: 'Path to directory containing extended run image layers',
  },
  {
    key: 'extensions',
    flag: 'extensions',
    kind: 'string',
    env: 'CNB_EXTENSIONS_DIR',
    default: '/cnb/extensions',
    description: 'Path to image extensions directory',
  },
  {
    key: 'force',
    flag: 'force',
    kind: 'bool',
    env: 'CNB_FORCE_REBASE',
    default: false,
    description: 'Allow unsafe rebase',
  },
  {
    key: 'generated',
    flag: 'generated',
    kind: 'string',
    env: 'CNB_GENERATED_DIR',
    default: inLayers('generated'),
    description: 'Path to directory for generated Dockerfiles',
  },
  {
    key: 'gid',
    flag: 'gid',
    kind: 'int',
    env: 'CNB_GROUP_ID',
    description: 'Primary GID of the build image User',
  },
  {
    key: 'group',
    flag: 'group',
    kind: 'string',
    env: 'CNB_GROUP_PATH',
    default: inLayers('group.toml'),
    description: 'Path to group definition (group.toml)',
  },
  {
    key: 'insecureRegistries',
    flag: 'insecure-registry',
    kind: 'list',
    env: 'CNB_INSECURE_REGISTRIES',
    description: 'Registry to reach without TLS verification (repeatable)',
  },
  {
    key: 'kanikoCacheTtl',
    flag: 'kaniko-cache-ttl',
    kind: 'duration',
    env: 'CNB_KANIKO_CACHE_TTL',
    default: '336h',
    description: 'Kaniko cache TTL (accepted; this extender keeps no layer cache, D-358)',
  },
  {
    key: 'kind',
    flag: 'kind',
    kind: 'string',
    env: 'CNB_EXTEND_KIND',
    default: 'build',
    description: 'Type of image to extend (build or run)',
  },
  {
    key: 'launchCache',
    flag: 'launch-cache',
    kind: 'string',
    env: 'CNB_LAUNCH_CACHE_DIR',
    description: 'Path to a cache directory containing launch layers',
  },
  {
    key: 'launcher',
    flag: 'launcher',
    kind: 'string',
    default: '/cnb/lifecycle/launcher',
    description: 'Path to the launcher executable',
  },
  {
    key: 'launcherSbom',
    flag: 'launcher-sbom',
    kind: 'string',
    default: '/cnb/lifecycle',
    description: 'Path to directory containing SBOM files describing the launcher',
  },
  {
    key: 'layers',
    flag: 'layers',
    kind: 'string',
    env: 'CNB_LAYERS_DIR',
    default: '/layers',
    description: 'Path to layers directory',
  },
  {
    key: 'layout',
    flag: 'layout',
    kind: 'bool',
    env: 'CNB_USE_LAYOUT',
    default: false,
    experimental: 'export to OCI layout format',
    description: 'Use images on disk in OCI layout format',
  },
  {
    key: 'layoutDir',
    flag: 'layout-dir',
    kind: 'string',
    env: 'CNB_LAYOUT_DIR',
    description: 'Root directory of images in OCI layout format',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'string',
    env: 'CNB_LOG_LEVEL',
    default: 'info',
    description: 'Log level (debug, info, warn, error)',
  },
  {
    key: 'noColor',
    flag: 'no-color',
    kind: 'bool',
    env: 'CNB_NO_COLOR',
    default: false,
    description: 'Disable color output (accepted; output is never coloured)',
  },
  {
    key: 'order',
    flag: 'order',
    kind: 'string',
    env: 'CNB_ORDER_PATH',
    default: orderDefault,
    description: 'Path to order definition (order.toml)',
  },
  {
    key: 'parallel',
    flag: 'parallel',
    kind: 'bool',
    env: 'CNB_PARALLEL_EXPORT',
    default: false,
    description:
      'Export the app image and the cache in parallel (also without it on two cores or more, D-386)',
  },
  {
    key: 'plan',
    flag: 'plan',
    kind: 'string',
    env: 'CNB_PLAN_PATH',
    default: inLayers('plan.toml'),
    description: 'Path to resolved build plan (plan.toml)',
  },
  {
    key: 'platform',
    flag: 'platform',
    kind: 'string',
    env: 'CNB_PLATFORM_DIR',
    default: '/platform',
    description: 'Path to platform directory',
  },
  {
    key: 'previousImage',
    flag: 'previous-image',
    kind: 'string',
    env: 'CNB_PREVIOUS_IMAGE',
    description: 'Image reference to be analyzed (default: <image>)',
  },
  {
    key: 'processType',
    flag: 'process-type',
    kind: 'string',
    env: 'CNB_PROCESS_TYPE',
    description: 'Default process type of the exported image',
  },
  {
    key: 'projectMetadata',
    flag: 'project-metadata',
    kind: 'string',
    env: 'CNB_PROJECT_METADATA_PATH',
    default: inLayers('project-metadata.toml'),
    description: 'Path to project metadata (project-metadata.toml)',
  },
  {
    key: 'report',
    flag: 'report',
    kind: 'string',
    env: 'CNB_REPORT_PATH',
    default: inLayers('report.toml'),
    description: 'Path to report (report.toml)',
  },
  {
    key: 'run',
    flag: 'run',
    kind: 'string',
    env: 'CNB_RUN_PATH',
    default: '/cnb/run.toml',
    description: 'Path to run file (run.toml)',
  },
  {
    key: 'runImage',
    flag: 'run-image',
    kind: 'string',
    env: 'CNB_RUN_IMAGE',
    description: 'Run image reference (default: resolved from run.toml / the app image)',
  },
  {
    key: 'deprecatedRunImage',
    flag: 'image',
    kind: 'string',
    description:
      'Deprecated spelling of -run-image: the rebaser takes it when -run-image is not given, the exporter refuses it',
  },
  {
    key: 'skipLayers',
    flag: 'skip-layers',
    kind: 'bool',
    env: 'CNB_SKIP_LAYERS',
    default: false,
    description: 'Do not restore layers (restorer) / the SBOM layer (analyzer)',
  },
  {
    key: 'skipRestore',
    flag: 'skip-restore',
    kind: 'bool',
    env: 'CNB_SKIP_RESTORE',
    default: false,
    description: 'Do not restore layer data, only store.toml',
  },
  {
    key: 'stack',
    flag: 'stack',
    kind: 'string',
    env: 'CNB_STACK_PATH',
    default: '/cnb/stack.toml',
    description: 'Path to stack file (stack.toml; deprecated by run.toml)',
  },
  {
    key: 'system',
    flag: 'system',
    kind: 'string',
    env: 'CNB_SYSTEM_PATH',
    default: '/cnb/system.toml',
    description: 'Path to system buildpacks file (system.toml)',
  },
  {
    key: 'tags',
    flag: 'tag',
    kind: 'list',
    description: 'Additional tag to apply to the exported image (repeatable)',
  },
  { key: 'uid', flag: 'uid', kind: 'int', env: 'CNB_USER_ID', description: 'UID of the build image User' },
];

/** True when the input is experimental at Platform API `api` (at some version when `api` is undefined). */
export function isExperimentalAt(d: InputDef, api?: ApiVersion): boolean {
  if (d.experimental === undefined) return false;
  return api === undefined || d.experimentalWhen === undefined || platformFeatures[d.experimentalWhen](api);
}

export const INPUT_BY_KEY: ReadonlyMap<Key, InputDef> = new Map(INPUTS.map((d) => [d.key, d]));

export function validLogLevel(v: string): LogLevel {
  const l = v.toLowerCase() === 'warning' ? 'warn' : v.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(l)) {
    throw new LifecycleError(
      'ERR_LOG_LEVEL',
      'failed',
      `failed to parse log level: invalid log level '${v}': use one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return l as LogLevel;
}
