import { passwdFor, readUserDb } from '../extend/index.ts';
import type { ContainerConfig } from '../image/index.ts';
import type { Logger } from '../platform/index.ts';
import { type BuildOptions, type BuildResult, build } from './build.ts';
import { type ExtendOptions, extend } from './extend.ts';
import { becomeBuildUser } from './privileges/index.ts';

/** A config's `Env` as a map (split at the first `=`; the reference refuses values holding `=`, D-354). */
export function configEnv(config: ContainerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/**
 * `extender -kind build` (platform.md "extender": "after all `build.Dockerfile`s are applied, the
 * lifecycle SHALL proceed with the `build` phase using the provided `<gid>` and `<uid>`"): extends the
 * live build image, then, as the reference does in one process, takes the extended image's env over the
 * lifecycle's, hands `<layers>` to the build user, drops to it, sets HOME and USER from the extended
 * `/etc/passwd` and runs the builder.
 */
export async function extendAndBuild(
  o: ExtendOptions & BuildOptions & { readonly root?: string },
  log: Logger,
): Promise<BuildResult> {
  const res = await extend({ ...o, kind: 'build' }, log);
  const env: Record<string, string> = { ...o.env, ...configEnv(res.config) };
  // D-200: become the build user before the builder touches anything a buildpack wrote.
  await becomeBuildUser({ uid: o.uid, gid: o.gid, dirs: [o.layers] }, log);
  const pw = passwdFor(await readUserDb(o.root ?? '/'), o.uid ?? 0);
  if (pw) {
    env['HOME'] = pw.home;
    env['USER'] = pw.name;
  }
  return build({ ...o, env }, log);
}
