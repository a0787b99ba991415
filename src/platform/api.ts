import { LifecycleError } from './errors.ts';

/**
 * API versions and the named feature predicates that are the only place the lifecycle asks
 * "which API is this?" (DESIGN.md "Style" 7). Adding Platform 0.7–0.11 or 0.13+ means adding to
 * SUPPORTED_PLATFORM_APIS and to the predicates below, nothing else.
 */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
}

export const SUPPORTED_PLATFORM_APIS = ['0.12'] as const;
export const SUPPORTED_BUILDPACK_APIS = ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12'] as const;
export const DEPRECATED_PLATFORM_APIS: readonly string[] = [];
export const DEPRECATED_BUILDPACK_APIS: readonly string[] = [];

/** Parse `<major>.<minor>`; undefined when malformed. */
export function parseApi(text: string): ApiVersion | undefined {
  // The reference's grammar (LIFECYCLE-BEHAVIOUR.md 0.2): optional `v`, `<major>` alone means `<major>.0`.
  const m = /^v?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? '0') };
}

/** Compare two versions: negative, zero or positive. */
export function compareApi(a: ApiVersion, b: ApiVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function apiString(v: ApiVersion): string {
  return `${v.major}.${v.minor}`;
}

/** a >= b, with b given as text. */
export function atLeast(a: ApiVersion, b: string): boolean {
  const bv = parseApi(b);
  if (!bv) throw new Error(`bad API literal ${b}`);
  return compareApi(a, bv) >= 0;
}

/**
 * Checks CNB_PLATFORM_API before any other input is parsed (platform.md "Platform API Compatibility").
 * Unset fails too (decision 9). Exit code 11.
 */
export function checkPlatformApi(value: string | undefined): ApiVersion {
  const supported = SUPPORTED_PLATFORM_APIS.join(', ');
  if (value === undefined || value.trim() === '') {
    throw new LifecycleError(
      'ERR_PLATFORM_API_UNSET',
      'platformApi',
      `CNB_PLATFORM_API is not set; please set 'CNB_PLATFORM_API' to the Platform API your platform implements (supported: ${supported})`,
    );
  }
  const v = parseApi(value);
  if (!v || !SUPPORTED_PLATFORM_APIS.some((s) => s === apiString(v))) {
    throw new LifecycleError(
      'ERR_PLATFORM_API_UNSUPPORTED',
      'platformApi',
      `platform API version '${value}' is incompatible with the lifecycle; supported Platform APIs: ${supported}`,
    );
  }
  return v;
}

/**
 * Checks a buildpack's (or extension's) declared `api` (buildpack.md; exit code 12).
 * `what` names the buildpack, e.g. `buildpack 'example/node@1.0'`.
 */
export function checkBuildpackApi(value: string | undefined, what: string): ApiVersion {
  const supported = SUPPORTED_BUILDPACK_APIS.join(', ');
  const v = value === undefined ? undefined : parseApi(value);
  if (!v || !SUPPORTED_BUILDPACK_APIS.some((s) => s === apiString(v))) {
    throw new LifecycleError(
      'ERR_BUILDPACK_API_UNSUPPORTED',
      'buildpackApi',
      `${what} declares buildpack API '${value ?? ''}': buildpack API version '${value ?? ''}' is incompatible with the lifecycle; supported Buildpack APIs: ${supported}`,
    );
  }
  return v;
}

/** Named Buildpack API feature predicates (BUILDPACK-API-VERSIONS.md). */
export const buildpackFeatures = {
  /** CNB_BUILDPACK_DIR, CNB_PLATFORM_DIR, CNB_BUILD_PLAN_PATH, CNB_BP_PLAN_PATH, CNB_LAYERS_DIR env (0.8+). */
  cnbEnvVars: (v: ApiVersion) => atLeast(v, '0.8'),
  /** launch.toml process `command` is an array and `args` are overridable by the user (0.9+). */
  commandArray: (v: ApiVersion) => atLeast(v, '0.9'),
  /** launch.toml `direct` key removed (0.9+: always direct unless the command is run with bash). */
  noDirectKey: (v: ApiVersion) => atLeast(v, '0.9'),
  /** CNB_TARGET_* env vars during detect and build; `[[targets]]` in buildpack.toml (0.10+). */
  targetEnv: (v: ApiVersion) => atLeast(v, '0.10'),
  /** `[[stacks]]` in buildpack.toml is deprecated in favour of `[[targets]]` (0.10+). */
  targetsInDescriptor: (v: ApiVersion) => atLeast(v, '0.10'),
  /**
   * CNB_EXEC_ENV is given to bin/detect and bin/build (0.12+; BUILDPACK-API-VERSIONS.md D/Q: the
   * reference sets it, defaulting to `production`). `exec-env` filtering needs Platform API 0.15.
   */
  execEnv: (v: ApiVersion) => atLeast(v, '0.12'),
  /** `[[stacks]]` `io.buildpacks.stacks.bionic` maps to a target even when other stacks are listed (0.10+). */
  bionicTargetWithManyStacks: (v: ApiVersion) => atLeast(v, '0.10'),
  /** Image extensions exist (extension.toml, order-extensions) (0.9+). */
  extensions: (v: ApiVersion) => atLeast(v, '0.9'),
  /** Process `working-dir` in launch.toml (0.8+). */
  processWorkingDir: (v: ApiVersion) => atLeast(v, '0.8'),
};

/** Named Platform API feature predicates. Only 0.12 is supported today, so most are constant. */
export const platformFeatures = {
  /** run.toml replaces stack.toml; analyzer resolves the run image (0.12). */
  runToml: (v: ApiVersion) => atLeast(v, '0.12'),
  /** Layout export (-layout, -layout-dir) is available (experimental) (0.12). */
  ociLayout: (v: ApiVersion) => atLeast(v, '0.12'),
  /** The detector checks buildpack targets against the run image target (0.12; LIFECYCLE-BEHAVIOUR.md §2). */
  detectTargetCheck: (v: ApiVersion) => atLeast(v, '0.12'),
  /** Image extensions may extend the run image (experimental) (0.12). */
  runImageExtension: (v: ApiVersion) => atLeast(v, '0.12'),
};
