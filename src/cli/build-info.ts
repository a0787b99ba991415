import type { LauncherInfo } from '../phase/index.ts';
import { LIFECYCLE_VERSION } from '../platform/index.ts';

/**
 * What the build put into the bundle (scripts/build.mjs `define`): the source it was built from
 * (docs/decisions.md D-276); outside a bundle (tests run the TypeScript) the source is empty. The
 * version is LIFECYCLE_VERSION everywhere (D-252).
 */
declare const LIFECYCLE_SOURCE_REPOSITORY: string | undefined;
declare const LIFECYCLE_SOURCE_COMMIT: string | undefined;

export const VERSION: string = LIFECYCLE_VERSION;

/** `launcher.version` and `launcher.source.git` of `io.buildpacks.build.metadata` (platform.md "Labels"). */
export const LAUNCHER_INFO: LauncherInfo = {
  version: VERSION,
  repository: typeof LIFECYCLE_SOURCE_REPOSITORY === 'string' ? LIFECYCLE_SOURCE_REPOSITORY : '',
  commit: typeof LIFECYCLE_SOURCE_COMMIT === 'string' ? LIFECYCLE_SOURCE_COMMIT : '',
};
