import { LifecycleError } from './errors.ts';

/**
 * API versions and the named feature predicates that are the only place the lifecycle asks
 * "which API is this?" (DESIGN.md "Style" 7). Supporting another Platform API means adding it to
 * SUPPORTED_PLATFORM_APIS and adjusting the predicates below, nothing else.
 */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
}

/** Platform APIs, oldest first (the reference's `api.Platform` list; platform-versions/platform-0.X.md). */
export const SUPPORTED_PLATFORM_APIS = [
  '0.7',
  '0.8',
  '0.9',
  '0.10',
  '0.11',
  '0.12',
  '0.13',
  '0.14',
  '0.15',
] as const;
export const SUPPORTED_BUILDPACK_APIS = ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12'] as const;
export const DEPRECATED_PLATFORM_APIS: readonly string[] = [];
export const DEPRECATED_BUILDPACK_APIS: readonly string[] = [];

/** Parse `<major>.<minor>`; undefined when malformed. */
export function parseApi(text: string): ApiVersion | undefined {
  // The reference's grammar (docs/reference-behaviour.md §0.2): optional `v`, `<major>` alone means `<major>.0`.
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

/** CNB_DEPRECATION_MODE (the reference's `warn` default, `quiet`, `error`; `silent` is read as `quiet`). */
export type DeprecationMode = 'warn' | 'quiet' | 'error';

/** Reads CNB_DEPRECATION_MODE; unset or unknown values mean `warn`, as the reference. */
export function deprecationMode(value: string | undefined): DeprecationMode {
  const v = (value ?? '').toLowerCase();
  return v === 'quiet' || v === 'silent' ? 'quiet' : v === 'error' ? 'error' : 'warn';
}

/**
 * Checks CNB_PLATFORM_API before any other input is parsed (platform.md "Platform API Compatibility").
 * Unset fails too (S-9). Exit code 11. A deprecated version warns, or fails with
 * CNB_DEPRECATION_MODE=error, with the reference's messages (D-301).
 */
export function checkPlatformApi(
  value: string | undefined,
  deprecation?: {
    readonly mode: DeprecationMode;
    readonly warn: (message: string) => void;
    readonly deprecated?: readonly string[];
  },
): ApiVersion {
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
  const deprecated = deprecation?.deprecated ?? DEPRECATED_PLATFORM_APIS;
  if (deprecation && deprecation.mode !== 'quiet' && deprecated.includes(apiString(v))) {
    if (deprecation.mode === 'error')
      throw new LifecycleError(
        'ERR_PLATFORM_API_DEPRECATED',
        'platformApi',
        `Platform requested deprecated API '${value}'; deprecated APIs are disabled by CNB_DEPRECATION_MODE=error: use one of ${supported} that is not deprecated, or set CNB_DEPRECATION_MODE=warn`,
      );
    deprecation.warn(`Platform requested deprecated API '${value}'`);
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
  /**
   * CNB_EXEC_ENV is given to bin/detect and bin/build (0.12+; BUILDPACK-API-VERSIONS.md D/Q: the
   * reference sets it, defaulting to `production`). `exec-env` filtering needs Platform API 0.15.
   */
  execEnv: (v: ApiVersion) => atLeast(v, '0.12'),
  /** `[[stacks]]` `io.buildpacks.stacks.bionic` maps to a target even when other stacks are listed (0.10+). */
  bionicTargetWithManyStacks: (v: ApiVersion) => atLeast(v, '0.10'),
  /** Process `working-dir` in launch.toml (0.8+). */
  processWorkingDir: (v: ApiVersion) => atLeast(v, '0.8'),
};

const since = (min: string) => (v: ApiVersion) => atLeast(v, min);
const before = (max: string) => (v: ApiVersion) => !atLeast(v, max);

/**
 * Named Platform API feature predicates: every behaviour or input that differs between the supported
 * Platform APIs is one of these (platform-versions/platform-0.X.md; PLATFORM-API-VERSIONS.md; where the
 * texts are silent the reference lifecycle's `cmd/lifecycle` and `platform/`, see docs/decisions.md
 * "Platform APIs"). Phases ask these, never a version number.
 */
export const platformFeatures = {
  /**
   * SBOM files (platform-0.8.md "Build" / "Exporter"): the builder copies `<layer>.sbom.*`, `launch.sbom.*`
   * and `build.sbom.*` into `<layers>/sbom/`, the exporter adds the SBOM layer and caches the build SBOMs,
   * the analyzer and restorer restore them (0.8+).
   */
  sbomFiles: since('0.8'),
  /**
   * The legacy `bom` is an SBOM file (platform-0.9.md "Build"): the builder writes `sbom.legacy.json` and
   * leaves `bom` out of `io.buildpacks.build.metadata` and report.toml `[build]` (0.9+).
   */
  bomAsSbomFile: since('0.9'),
  /** The exporter takes the image creation time from SOURCE_DATE_EPOCH (platform-0.9.md "exporter") (0.9+). */
  sourceDateEpoch: since('0.9'),
  /** Analyzer `-skip-layers` and `-launch-cache` (platform-0.9.md "analyzer" Inputs) (0.9+). */
  analyzerRestoresSbom: since('0.9'),
  /**
   * Image extensions: detector `-analyzed`, `-extensions`, `-generated`, restorer `-build-image`
   * (platform-0.10.md "Inputs"); the restorer records the run image's digest in analyzed.toml (0.10+).
   */
  imageExtensions: since('0.10'),
  /**
   * Process `command` is an array whose first entry is the executable (platform-0.10.md "metadata.toml");
   * the launcher lets user args replace the overridable `args` by buildpack API; before, user args are
   * appended (D-307) (0.10+).
   */
  processCommandArray: since('0.10'),
  /**
   * The creator with `-skip-restore` still runs the restore phase for store.toml, restoring no layer
   * data; before, it skips the whole phase (platform-0.9.md / platform-0.10.md "creator"; D-315) (0.10+).
   */
  creatorRestoresMetadataWhenSkipping: since('0.10'),
  /** `-build-config` / CNB_BUILD_CONFIG_DIR on detector, builder and creator (platform-0.11.md) (0.11+). */
  buildConfig: since('0.11'),
  /** `-launcher-sbom`: the exporter adds the lifecycle's own SBOM files (platform-0.11.md "Exporter") (0.11+). */
  launcherSbom: since('0.11'),
  /** Rebaser `-previous-image` / CNB_PREVIOUS_IMAGE (platform-0.11.md "rebaser" Inputs) (0.11+). */
  rebaserPreviousImage: since('0.11'),
  /**
   * run.toml (`-run`, CNB_RUN_PATH, `/cnb/run.toml`) replaces stack.toml (`-stack`, CNB_STACK_PATH,
   * `/cnb/stack.toml`) for run image selection and the exported `runImage` metadata (platform.md
   * "run.toml"; platform-0.11.md "stack.toml") (0.12+).
   */
  runToml: since('0.12'),
  /** `-stack` / CNB_STACK_PATH (platform-0.11.md "stack.toml"): before 0.12 (the creator keeps it, D-302). */
  stackToml: before('0.12'),
  /**
   * The app image keeps the run image's history and gets one `created_by` entry per added layer; before,
   * every history entry is only `{created}` (the reference's exporter asks imgutil for history from 0.12;
   * the spec is silent, D-311) (0.12+).
   */
  imageHistory: since('0.12'),
  /** OCI layout export: `-layout`, `-layout-dir` (platform.md "Experimental Features") (0.12+). */
  ociLayout: since('0.12'),
  /**
   * Target data (platform.md "Target Data"): analyzed.toml `run-image.image` and `run-image.target`, the
   * builder's `-analyzed`, the detector's target check, the restorer's `-daemon` and target lookup (0.12+).
   */
  targetData: since('0.12'),
  /** Run image extension: extender `-kind`/`-extended`, exporter `-extended` (platform.md "extender") (0.12+). */
  runImageExtension: since('0.12'),
  /**
   * Rebaser `-force`; the new run image must be listed in the app's metadata unless forced, and
   * `io.buildpacks.base.*` labels are synced (platform.md "rebaser"; D-306) (0.12+).
   */
  rebaseForce: since('0.12'),
  /** Image extensions (Dockerfiles) are experimental (platform-0.12 "Experimental Features"; GA in 0.13). */
  extensionsExperimental: before('0.13'),
  /**
   * The exporter deletes the cache image it replaced when the new one differs (the reference's
   * `initCache(..., LessThan("0.13"))`; the spec is silent, D-313) (0.7-0.12).
   */
  deletesReplacedCacheImage: before('0.13'),
  /**
   * `<generated>/<extension id>/` holds what bin/generate wrote (`build.Dockerfile`, `run.Dockerfile`,
   * `extend-config.toml`, build context dirs) and the extender uses `context[.<kind>]` as the build
   * context; before, `<generated>/<build|run>/<extension id>/Dockerfile` with `<app>` as the context
   * (platform-0.13.md "extender"; image-extension.md "Context"; D-314) (0.13+).
   */
  generatedByExtension: since('0.13'),
  /** `-insecure-registry` flag (platform-0.13.md "Inputs"; the env var at every version, D-300) (0.13+). */
  insecureRegistryFlag: since('0.13'),
  /** Restorer `-run`: it checks the selected run image against run.toml (platform-0.14.md "restorer") (0.14+). */
  restorerResolvesRunImage: since('0.14'),
  /**
   * Metadata of launch=true, cache=true layers missing from the app image is restored from the cache
   * (the reference's restorer from 0.14; the spec is silent, D-305) (0.14+).
   */
  launchLayerMetadataFromCache: since('0.14'),
  /**
   * Execution environment (platform-0.15.md "Execution Environment"): CNB_EXEC_ENV is read, processes
   * are filtered by `exec-env`, the exporter sets `io.buildpacks.exec-env` (0.15+).
   */
  execEnv: since('0.15'),
  /**
   * System buildpacks (platform-0.15.md "detector", "system.toml"): detector and creator `-system`;
   * system.toml's `pre` and `post` buildpacks are merged into every order group (0.15+).
   */
  systemBuildpacks: since('0.15'),
};

export type PlatformFeature = keyof typeof platformFeatures;

/**
 * The supported versions at which a feature holds, as text for the docs: `0.12+`, `0.7-0.11`, or
 * `all`.
 */
export function featureVersions(feature: PlatformFeature): string {
  const all = SUPPORTED_PLATFORM_APIS.map((s) => parseApi(s)!);
  const on = all.filter((v) => platformFeatures[feature](v)).map(apiString);
  if (on.length === all.length) return 'all';
  if (on.length === 0) return 'none';
  const first = on[0]!;
  const last = on[on.length - 1]!;
  if (last === SUPPORTED_PLATFORM_APIS[SUPPORTED_PLATFORM_APIS.length - 1]) return `${first}+`;
  return first === last ? first : `${first}-${last}`;
}
