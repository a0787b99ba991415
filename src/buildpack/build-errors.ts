import { ExitCode, toPhaseError } from '../platform/index.ts';

/**
 * Exit code of a build-specific lifecycle error that is not a failing bin/build (platform.md
 * "builder": 50, 52-59). 52, like the reference (docs/reference-behaviour.md §0.4), so platforms that
 * look for it keep working. A failing bin/build is 51 (`ExitCode.buildpackBuild`).
 */
export const BUILD_ERROR_EXIT = ExitCode.build;

/**
 * Re-raises a problem found while building as a build error (exit 52), keeping its code and
 * message. Errors that already carry a specific exit code (12, 51, ...) pass through unchanged.
 */
export function asBuildError(e: unknown, context?: string): Error {
  return toPhaseError(e, 'build', context);
}
