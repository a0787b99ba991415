import { inContainer, KANIKO_DIR } from '../extend/index.ts';
import {
  analyze,
  build,
  create,
  detect,
  exportImage,
  extend,
  extendAndBuild,
  rebase,
  restore,
} from '../phase/index.ts';
import { LifecycleError, type PhaseName, parseGoBool } from '../platform/index.ts';
import { LAUNCHER_INFO } from './build-info.ts';
import type { PhaseContext } from './main.ts';

/**
 * A phase implementation as the CLI edge calls it. The resolved inputs use the phases' option names,
 * so each runner passes them through and adds only what differs (DESIGN.md "Style" 7).
 */
export type Runner = (ctx: PhaseContext) => Promise<void>;

/**
 * The extender changes the root filesystem it runs on, so outside a container it refuses, as the
 * reference does (platform.md "extender": run in the build or run environment).
 */
async function extender({ inputs: i, env, platformApi, log }: PhaseContext): Promise<void> {
  if (!(await inContainer({ env })))
    throw new LifecycleError(
      'ERR_EXTEND_NOT_IN_CONTAINER',
      'extend',
      'the extender must run inside a container of the image it extends (it changes the root filesystem it runs on); run it as a step of the build or run image',
    );
  if (i.kind === 'build') await extendAndBuild({ ...i, env, platformApi }, log);
  else await extend({ ...i }, log);
}

/** Phase name → runner. The CLI phases hand directories to the build user and drop privileges themselves. */
export const RUNNERS: Readonly<Record<PhaseName, Runner>> = {
  analyzer: async ({ inputs: i, env, platformApi, log }) => {
    await analyze({ ...i, image: i.images[0] ?? '', env, platformApi }, log);
  },
  detector: async ({ inputs: i, env, platformApi, log }) => {
    await detect({ ...i, env, platformApi, experimentalMode: env['CNB_EXPERIMENTAL_MODE'] }, log);
  },
  // CNB_SKIP_RESTORE also means skip-layers (LIFECYCLE-BEHAVIOUR.md §0.5).
  restorer: async ({ inputs: i, env, platformApi, log }) => {
    const skipLayers = i.skipLayers || parseGoBool(env['CNB_SKIP_RESTORE'] ?? '') === true;
    await restore({ ...i, skipLayers, env, platformApi, dropPrivileges: true, kanikoDir: KANIKO_DIR }, log);
  },
  extender,
  builder: async ({ inputs: i, env, platformApi, log }) => {
    await build({ ...i, env, platformApi }, log);
  },
  exporter: async ({ inputs: i, env, platformApi, log }) => {
    await exportImage({ ...i, env, platformApi, dropPrivileges: true, launcherInfo: LAUNCHER_INFO }, log);
  },
  creator: async ({ inputs: i, env, platformApi, log }) => {
    const experimentalMode = env['CNB_EXPERIMENTAL_MODE'];
    await create(
      { ...i, image: i.images[0] ?? '', env, platformApi, launcherInfo: LAUNCHER_INFO, experimentalMode },
      log,
    );
  },
  rebaser: async ({ inputs: i, env, log }) => {
    await rebase({ ...i, env }, log);
  },
};
