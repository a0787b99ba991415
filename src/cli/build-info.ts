import type { LauncherInfo } from '../phase/export-config.ts';

/**
 * What the build put into the bundle (scripts/build.mjs `define`): the lifecycle version and the
 * source it was built from (docs/decisions.md D-276). Outside a bundle (tests run the TypeScript),
 * the version is `0.0.0-dev` and the source is empty.
 */
declare const LIFECYCLE_VERSION: string | undefined;
declare const LIFECYCLE_SOURCE_REPOSITORY: string | undefined;
declare const LIFECYCLE_SOURCE_COMMIT: string | undefined;

export const VERSION = typeof LIFECYCLE_VERSION === 'string' ? LIFECYCLE_VERSION : '0.0.0-dev';

/** `launcher.version` and `launcher.source.git` of `io.buildpacks.build.metadata` (platform.md "Labels"). */
export const LAUNCHER_INFO: LauncherInfo = {
  version: VERSION,
  repository: typeof LIFECYCLE_SOURCE_REPOSITORY === 'string' ? LIFECYCLE_SOURCE_REPOSITORY : '',
  commit: typeof LIFECYCLE_SOURCE_COMMIT === 'string' ? LIFECYCLE_SOURCE_COMMIT : '',
};
