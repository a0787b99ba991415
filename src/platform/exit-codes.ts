/**
 * The lifecycle's exit codes as data (platform.md, each phase's "Outputs" table). Within each range the
 * value is the one the reference lifecycle uses (docs/reference-behaviour.md §0.4: 22, 32, 42, 52, 62, 72, 82,
 * 92, 102), so platforms that match on exact codes keep working.
 */
export const ExitCode = {
  success: 0,
  /** Generic failure (platform.md: 1-10, 13-19 are generic lifecycle errors). */
  failed: 1,
  /** Flag syntax error: undefined flag, missing value (Go's flag package exits 2; generic range). */
  flagParse: 2,
  /** Invalid arguments or inputs (generic range). */
  invalidArgs: 3,
  /** Platform API incompatibility error. */
  platformApi: 11,
  /** Buildpack API incompatibility error. */
  buildpackApi: 12,
  /** All groups failed to detect without error. */
  detectFailed: 20,
  /** All groups failed to detect and at least one buildpack errored. */
  detectErrored: 21,
  /** Detection-specific lifecycle error (22-29). */
  detect: 22,
  /** Analysis-specific lifecycle error (30-39). */
  analyze: 32,
  /** Restoration-specific lifecycle error (40-49). */
  restore: 42,
  /** Build-specific lifecycle error (50, 52-59): anything but a failing bin/build. */
  build: 52,
  /** A buildpack's bin/build failed. */
  buildpackBuild: 51,
  /** Export-specific lifecycle error (60-69). */
  export: 62,
  /** Rebase-specific lifecycle error (70-79). */
  rebase: 72,
  /** Launch-specific lifecycle error (80-89). */
  launch: 82,
  /** An image extension's bin/generate failed. */
  extensionGenerate: 91,
  /** Generation-specific lifecycle error (92-99). */
  generate: 92,
  /** Extension-specific lifecycle error (100-109). */
  extend: 102,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

/** Phase name → its phase-specific error exit code, used when a phase fails for a phase reason. */
export const phaseExitCode: Readonly<Record<string, number>> = {
  analyzer: ExitCode.analyze,
  detector: ExitCode.detect,
  restorer: ExitCode.restore,
  extender: ExitCode.extend,
  builder: ExitCode.build,
  exporter: ExitCode.export,
  rebaser: ExitCode.rebase,
  launcher: ExitCode.launch,
};
