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

/** Phase name → runner. */
export const RUNNERS: Readonly<Record<PhaseName, Runner>> = {
  analyzer: notImplemented,
  detector: notImplemented,
  restorer: notImplemented,
  extender: notImplemented,
  builder: notImplemented,
  exporter: notImplemented,
  creator: notImplemented,
  rebaser: notImplemented,
};
