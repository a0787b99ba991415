import { inContainer, KANIKO_DIR } from '../extend/index.ts';
import {
  analyze,
  build,
  create,
  detect,
  exportImage,
  extend,
  extendAndBuild,
  guardExtendedLayers,
  rebase,
  restore,
} from '../phase/index.ts';
import { LifecycleError, type PhaseInputs, type PhaseName, parseGoBool } from '../platform/index.ts';
import { LAUNCHER_INFO } from './build-info.ts';
import type { PhaseContext } from './context.ts';

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
  else await extend({ ...i, platformApi }, log);
}

/**
 * The exporter takes the run image from analyzed.toml at every Platform API, as the reference's
 * `FillExportRunImage` (D-304): a `-run-image` that differs from CNB_RUN_IMAGE is refused, and so is the
 * deprecated `-image`, with exit 3.
 */
export function refuseExporterRunImage(
  i: Pick<PhaseInputs, 'runImage' | 'deprecatedRunImage'>,
  envValue: string | undefined,
): void {
  const bad = (m: string) =>
    new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', `failed to resolve inputs: ${m}`);
  if (i.runImage !== undefined && i.runImage !== '' && i.runImage !== (envValue ?? ''))
    throw bad(
      `-run-image is unsupported: the exporter uses the run image in analyzed.toml (run-image.reference); remove -run-image ${i.runImage}`,
    );
  if (i.deprecatedRunImage !== undefined && i.deprecatedRunImage !== '')
    throw bad(
      `-image is unsupported: the exporter uses the run image in analyzed.toml (run-image.reference); remove -image ${i.deprecatedRunImage}`,
    );
}

/**
 * The rebaser's run image, as the reference's `ValidateRebaseRunImage` (D-312): the deprecated `-image`
 * stands for `-run-image`; both given (a `-run-image` other than CNB_RUN_IMAGE's) is exit 3.
 */
export function rebaserRunImage(
  i: Pick<PhaseInputs, 'runImage' | 'deprecatedRunImage'>,
  envValue: string | undefined,
): string | undefined {
  if (i.deprecatedRunImage === undefined || i.deprecatedRunImage === '') return i.runImage;
  if ((i.runImage ?? '') !== (envValue ?? ''))
    throw new LifecycleError(
      'ERR_INVALID_ARGS',
      'invalidArgs',
      'failed to resolve inputs: supply only one of -run-image or (deprecated) -image',
    );
  return i.deprecatedRunImage;
}

/**
 * The reference's input checks that only warn (docs/reference-behaviour.md §1 "Args and inputs"): the
 * exporter's `-launch-cache` without `-daemon` (the creator's is the analyzer's, which it runs), and the
 * creator's `-parallel` without a cache to export beside the image. The flag is then ignored.
 */
export function ignoredInputWarnings(
  phase: 'exporter' | 'creator',
  i: Pick<PhaseInputs, 'launchCache' | 'daemon' | 'parallel' | 'cacheImage' | 'cacheDir'>,
): string[] {
  const out: string[] = [];
  if (phase === 'exporter' && i.launchCache && !i.daemon)
    out.push('Ignoring -launch-cache, only intended for use with -daemon');
  if (phase === 'creator' && i.parallel && !i.cacheImage && !i.cacheDir)
    out.push(
      'Parallel export has been enabled, but it has not taken effect because no cache has been specified.',
    );
  return out;
}

/** The Docker daemon address (`DOCKER_HOST`, as the Docker CLI reads it), resolved here at the edge. */
export function dockerHostFrom(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const h = env['DOCKER_HOST'];
  return h === undefined || h === '' ? undefined : h;
}

/** Phase name → runner. The CLI phases hand directories to the build user and drop privileges themselves. */
export const RUNNERS: Readonly<Record<PhaseName, Runner>> = {
  analyzer: async ({ inputs: i, env, platformApi, log }) => {
    await analyze({ ...i, image: i.images[0] ?? '', env, dockerHost: dockerHostFrom(env), platformApi }, log);
  },
  detector: async ({ inputs: i, env, platformApi, log }) => {
    const execEnv = env['CNB_EXEC_ENV'] || 'production';
    await detect(
      {
        ...i,
        env,
        platformApi,
        execEnv,
        experimentalMode: env['CNB_EXPERIMENTAL_MODE'],
        dropPrivileges: true,
      },
      log,
    );
  },
  // CNB_SKIP_RESTORE also means skip-layers (docs/reference-behaviour.md §0.5).
  restorer: async ({ inputs: i, env, platformApi, log }) => {
    const skipLayers = i.skipLayers || parseGoBool(env['CNB_SKIP_RESTORE'] ?? '') === true;
    await restore(
      {
        ...i,
        skipLayers,
        env,
        dockerHost: dockerHostFrom(env),
        platformApi,
        dropPrivileges: true,
        kanikoDir: KANIKO_DIR,
      },
      log,
    );
  },
  extender,
  builder: async ({ inputs: i, env, platformApi, log }) => {
    await build(
      { ...i, env, platformApi, execEnv: env['CNB_EXEC_ENV'] || 'production', dropPrivileges: true },
      log,
    );
  },
  exporter: async ({ inputs: i, env, platformApi, log }) => {
    refuseExporterRunImage(i, env['CNB_RUN_IMAGE']);
    for (const w of ignoredInputWarnings('exporter', i)) log.warn(w);
    await guardExtendedLayers(i.extended, platformApi, env['CNB_EXPERIMENTAL_MODE'], log);
    const sourceDateEpoch = env['SOURCE_DATE_EPOCH'];
    const execEnv = env['CNB_EXEC_ENV'] || 'production';
    // D-413: exportImage times itself once its inputs are read.
    await exportImage(
      {
        ...i,
        env,
        dockerHost: dockerHostFrom(env),
        platformApi,
        dropPrivileges: true,
        launcherInfo: LAUNCHER_INFO,
        sourceDateEpoch,
        execEnv,
      },
      log,
    );
  },
  creator: async ({ inputs: i, env, platformApi, log }) => {
    for (const w of ignoredInputWarnings('creator', i)) log.warn(w);
    const experimentalMode = env['CNB_EXPERIMENTAL_MODE'];
    const sourceDateEpoch = env['SOURCE_DATE_EPOCH'];
    const image = i.images[0] ?? '';
    const execEnv = env['CNB_EXEC_ENV'] || 'production';
    const edge = {
      env,
      dockerHost: dockerHostFrom(env),
      platformApi,
      launcherInfo: LAUNCHER_INFO,
      experimentalMode,
      sourceDateEpoch,
      execEnv,
    };
    await create({ ...i, image, ...edge }, log);
  },
  rebaser: async ({ inputs: i, env, platformApi, log }) => {
    const runImage = rebaserRunImage(i, env['CNB_RUN_IMAGE']);
    await rebase(
      {
        ...i,
        ...(runImage === undefined ? {} : { runImage }),
        env,
        dockerHost: dockerHostFrom(env),
        platformApi,
      },
      log,
    );
  },
};
