import { analyze, build, create, detect, exportImage, rebase, restore } from '../phase/index.ts';
import { LifecycleError, type PhaseName, parseGoBool } from '../platform/index.ts';
import type { PhaseContext } from './main.ts';

/** A phase implementation as the CLI edge calls it. */
export type Runner = (ctx: PhaseContext) => Promise<void>;

function notImplemented(ctx: PhaseContext): Promise<void> {
  return Promise.reject(
    new LifecycleError(
      'ERR_NOT_IMPLEMENTED',
      'failed',
      `the ${ctx.phase} phase is not implemented in this version of the lifecycle (image extensions are experimental and need a Dockerfile applier); nothing was done`,
    ),
  );
}

const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

/** platform.md `analyzer`. */
const runAnalyzer: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await analyze(
    {
      image: i.images[0] ?? '',
      tags: i.tags,
      run: i.run,
      layers: i.layers,
      analyzed: i.analyzed,
      daemon: i.daemon,
      layout: i.layout,
      skipLayers: i.skipLayers,
      insecureRegistries: i.insecureRegistries,
      env,
      platformApi,
      ...optional('previousImage', i.previousImage),
      ...optional('runImage', i.runImage),
      ...optional('cacheImage', i.cacheImage),
      ...optional('layoutDir', i.layoutDir),
      ...optional('launchCache', i.launchCache),
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** platform.md `detector`. */
const runDetector: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await detect(
    {
      app: i.app,
      buildpacks: i.buildpacks,
      buildConfig: i.buildConfig,
      extensions: i.extensions,
      generated: i.generated,
      group: i.group,
      layers: i.layers,
      order: i.order,
      plan: i.plan,
      platform: i.platform,
      analyzed: i.analyzed,
      run: i.run,
      env,
      platformApi,
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** platform.md `builder`. */
const runBuilder: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await build(
    {
      app: i.app,
      buildpacks: i.buildpacks,
      buildConfig: i.buildConfig,
      group: i.group,
      layers: i.layers,
      plan: i.plan,
      platform: i.platform,
      analyzed: i.analyzed,
      env,
      platformApi,
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** platform.md `exporter`. */
const runExporter: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await exportImage(
    {
      images: i.images,
      analyzed: i.analyzed,
      group: i.group,
      layers: i.layers,
      app: i.app,
      launcher: i.launcher,
      launcherSbom: i.launcherSbom,
      projectMetadata: i.projectMetadata,
      report: i.report,
      run: i.run,
      daemon: i.daemon,
      layout: i.layout,
      parallel: i.parallel,
      env,
      platformApi,
      insecureRegistries: i.insecureRegistries,
      dropPrivileges: true,
      ...optional('processType', i.processType || undefined),
      ...optional('cacheDir', i.cacheDir || undefined),
      ...optional('cacheImage', i.cacheImage || undefined),
      ...optional('launchCache', i.launchCache || undefined),
      ...optional('layoutDir', i.layoutDir),
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** platform.md `restorer` (CNB_SKIP_RESTORE also means skip-layers, LIFECYCLE-BEHAVIOUR.md §0.5). */
const runRestorer: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await restore(
    {
      layers: i.layers,
      group: i.group,
      analyzed: i.analyzed,
      skipLayers: i.skipLayers || i.skipRestore || parseGoBool(env['CNB_SKIP_RESTORE'] ?? '') === true,
      daemon: i.daemon,
      layout: i.layout,
      env,
      platformApi,
      insecureRegistries: i.insecureRegistries,
      dropPrivileges: true,
      ...optional('cacheDir', i.cacheDir || undefined),
      ...optional('cacheImage', i.cacheImage || undefined),
      ...optional('layoutDir', i.layoutDir),
      ...optional('buildImage', i.buildImage || undefined),
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** platform.md `rebaser`. */
const runRebaser: Runner = async ({ inputs: i, env, log }) => {
  await rebase(
    {
      images: i.images,
      force: i.force,
      daemon: i.daemon,
      report: i.report,
      env,
      insecureRegistries: i.insecureRegistries,
      ...optional('previousImage', i.previousImage),
      ...optional('runImage', i.runImage),
    },
    log,
  );
};

/** platform.md `creator`. */
const runCreator: Runner = async ({ inputs: i, env, platformApi, log }) => {
  await create(
    {
      image: i.images[0] ?? '',
      tags: i.tags,
      app: i.app,
      buildpacks: i.buildpacks,
      buildConfig: i.buildConfig,
      layers: i.layers,
      order: i.order,
      platform: i.platform,
      analyzed: i.analyzed,
      group: i.group,
      plan: i.plan,
      run: i.run,
      launcher: i.launcher,
      launcherSbom: i.launcherSbom,
      projectMetadata: i.projectMetadata,
      report: i.report,
      daemon: i.daemon,
      layout: i.layout,
      parallel: i.parallel,
      skipRestore: i.skipRestore,
      insecureRegistries: i.insecureRegistries,
      env,
      platformApi,
      ...optional('previousImage', i.previousImage),
      ...optional('runImage', i.runImage),
      ...optional('processType', i.processType || undefined),
      ...optional('cacheDir', i.cacheDir || undefined),
      ...optional('cacheImage', i.cacheImage || undefined),
      ...optional('launchCache', i.launchCache || undefined),
      ...optional('layoutDir', i.layoutDir),
      ...optional('uid', i.uid),
      ...optional('gid', i.gid),
    },
    log,
  );
};

/** Phase name → runner. */
export const RUNNERS: Readonly<Record<PhaseName, Runner>> = {
  analyzer: runAnalyzer,
  detector: runDetector,
  restorer: runRestorer,
  extender: notImplemented,
  builder: runBuilder,
  exporter: runExporter,
  creator: runCreator,
  rebaser: runRebaser,
};
