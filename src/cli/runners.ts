import { build, detect } from '../phase/index.ts';
import { LifecycleError, type PhaseName } from '../platform/index.ts';
import type { PhaseContext } from './main.ts';

/** A phase implementation as the CLI edge calls it. */
export type Runner = (ctx: PhaseContext) => Promise<void>;

function notImplemented(ctx: PhaseContext): Promise<void> {
  return Promise.reject(
    new LifecycleError(
      'ERR_NOT_IMPLEMENTED',
      'failed',
      `the ${ctx.phase} phase is not implemented in this version of the lifecycle; nothing was done`,
    ),
  );
}

const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

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

/** Phase name → runner. */
export const RUNNERS: Readonly<Record<PhaseName, Runner>> = {
  analyzer: notImplemented,
  detector: runDetector,
  restorer: notImplemented,
  extender: notImplemented,
  builder: runBuilder,
  exporter: notImplemented,
  creator: notImplemented,
  rebaser: notImplemented,
};
