import { join } from 'node:path';
import { BUILD_PATH_VARS, PATH_LIST_SEPARATOR } from './build-env.ts';
import { readEnvDir } from './env-dir.ts';
import {
  applyModifications,
  type EnvModification,
  type EnvVars,
  envModifications,
  prependPath,
} from './modify.ts';

/**
 * The environment a buildpack's bin/detect or bin/build starts from (platform.md "Buildpack
 * Environment"; buildpack.md "Environment"). Env is always passed in as data, never read from
 * `process.env` here.
 */

/**
 * Variables of the lifecycle's own environment that buildpacks inherit. Like the reference
 * (docs/reference-behaviour.md §10 "Build env include-list") this is an allow-list, so `CNB_*` inputs,
 * `CNB_REGISTRY_AUTH` and any other credential never reach a buildpack (DESIGN.md "Reliability").
 */
export const BUILD_ENV_INCLUDE: readonly string[] = [
  'CNB_STACK_ID',
  'HOSTNAME',
  'HOME',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
  // The build user's name (docs/decisions.md D-203); the reference's list stops at the proxies.
  'USER',
  ...BUILD_PATH_VARS,
];

/** The lifecycle's environment filtered down to what buildpacks may see. */
export function baseBuildEnv(
  lifecycleEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of BUILD_ENV_INCLUDE) {
    const v = lifecycleEnv[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * User-provided variables: `<platform>/env/<NAME>` (platform.md "User-Provided Variables"): the
 * file name is the name and the contents, verbatim, the value. No suffix semantics.
 */
export async function readUserEnv(platformDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readEnvDir(join(platformDir, 'env'))) out[f.fileName] = f.content;
  return out;
}

/**
 * Operator-defined variables: `<build-config>/env/` with the modification rules, where no suffix
 * means `default` (platform.md "Operator-Defined Variables").
 */
export async function readOperatorEnv(buildConfigDir: string): Promise<EnvModification[]> {
  return envModifications(await readEnvDir(join(buildConfigDir, 'env')), 'default');
}

/**
 * Applies user env: POSIX path variables are prepended with the path-list separator, every other
 * variable is overridden (buildpack.md "Provided by the Platform"; platform.md "User-Provided Variables").
 */
export function applyUserEnv(env: EnvVars, user: EnvVars): Record<string, string> {
  const out: Record<string, string> = { ...env };
  for (const [k, v] of Object.entries(user)) {
    out[k] = BUILD_PATH_VARS.includes(k) ? prependPath(out[k], v, PATH_LIST_SEPARATOR) : v;
  }
  return out;
}

/** User and operator env, read once per phase. */
export interface PlatformEnv {
  readonly user: EnvVars;
  readonly operator: readonly EnvModification[];
}

/** Reads `<platform>/env/` and `<build-config>/env/`. Missing directories are empty. */
export async function readPlatformEnv(dirs: { platform: string; buildConfig: string }): Promise<PlatformEnv> {
  const [user, operator] = await Promise.all([readUserEnv(dirs.platform), readOperatorEnv(dirs.buildConfig)]);
  return { user, operator };
}

/**
 * The env a buildpack sees before the lifecycle adds its `CNB_*` inputs: `base` (the filtered
 * lifecycle env, plus earlier buildpacks' build layers during build), then the user env unless
 * `clearEnv` (buildpack.md "Provided by the Platform"), then the operator env, which applies for
 * every value of `clear-env` and after buildpack-provided values (platform.md "Operator-Defined Variables").
 */
export function buildpackEnv(
  base: EnvVars,
  platformEnv: PlatformEnv,
  clearEnv: boolean,
): Record<string, string> {
  const withUser = clearEnv ? { ...base } : applyUserEnv(base, platformEnv.user);
  return applyModifications(withUser, platformEnv.operator);
}
