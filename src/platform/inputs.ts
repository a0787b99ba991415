import { type ApiVersion, type PlatformFeature, platformFeatures } from './api.ts';
import { LifecycleError } from './errors.ts';
import { LOG_LEVELS, type LogLevel } from './log.ts';

/**
 * Every input of every phase, with its flag, env var and default, from one table (input-table.ts)
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

export type InputKey = Exclude<keyof PhaseInputs, 'images'>;

/** Context for defaults that depend on other inputs or on the file system. */
export interface DefaultContext {
  readonly layers: string;
  readonly exists: (path: string) => boolean;
}

export interface InputDef {
  readonly key: InputKey;
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

/** True when the input is experimental at Platform API `api` (at some version when `api` is undefined). */
export function isExperimentalAt(d: InputDef, api?: ApiVersion): boolean {
  if (d.experimental === undefined) return false;
  return api === undefined || d.experimentalWhen === undefined || platformFeatures[d.experimentalWhen](api);
}

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
