import {
  anyTargetSatisfied,
  type BuildpackModule,
  buildpackTargets,
  describeTargets,
} from '../buildpack/index.ts';
import type { TargetMetadata } from '../files/index.ts';
import { type ApiVersion, buildpackFeatures, platformFeatures } from '../platform/index.ts';

/** Why the detector leaves a buildpack out of a group without running it (not a detection failure). */

/**
 * platform-0.15.md "Execution Environment": a buildpack of API 0.12+ whose `exec-env` lists neither `*`
 * nor the current value is left out of the group (not a failure), as the reference.
 */
export function execEnvMismatch(
  mod: BuildpackModule,
  platformApi: ApiVersion,
  execEnv: string,
): string | undefined {
  if (!platformFeatures.execEnv(platformApi) || !buildpackFeatures.execEnv(mod.api)) return undefined;
  const list = mod.descriptor.buildpack.execEnv ?? [];
  if (list.length === 0 || list.includes('*') || list.includes(execEnv)) return undefined;
  return `execution environment mismatch; current: ${execEnv}, buildpack supports: ${list.join(', ')}`;
}

/**
 * The run image target a buildpack does not support (buildpack.md "Targets"), as the reason it is
 * skipped; undefined when one of its targets is satisfied or before Platform API 0.12.
 */
export function targetMismatch(
  mod: BuildpackModule,
  platformApi: ApiVersion,
  target: TargetMetadata,
): string | undefined {
  // The target check is gated on Platform API 0.12 for every buildpack API (BUILDPACK-API-VERSIONS.md F).
  if (!platformFeatures.targetData(platformApi)) return undefined;
  const targets = buildpackTargets(mod.descriptor, mod.api, mod.hasBinBuild);
  if (anyTargetSatisfied(target, targets)) return undefined;
  return `unable to satisfy target os/arch constraints; ${describeTargets(target, targets)}`;
}
