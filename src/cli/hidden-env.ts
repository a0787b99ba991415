/**
 * Variables that the `lifecycle` executable (runtime/lifecycle.c) moves aside before it starts the
 * bundled Node runtime, because they would change how Node or the loader start: a platform's
 * NODE_OPTIONS must not break the lifecycle (docs/decisions.md D-251). They are put back here, at the
 * CLI edge, before anything runs, so the phases see the environment the platform gave. Keep in step
 * with the C list.
 */
export const HIDDEN_ENV = [
  'NODE_OPTIONS',
  'NODE_ICU_DATA',
  'NODE_CHANNEL_FD',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'LD_PRELOAD',
] as const;

/** Prefix of the names the C program moves the variables to. */
export const HIDDEN_PREFIX = 'CNB_LIFECYCLE_HIDDEN_';

/** Puts the moved-aside variables back into `env` (in place) and removes their hidden copies. */
export function restoreHiddenEnv(env: Record<string, string | undefined>): void {
  for (const name of HIDDEN_ENV) {
    const hidden = `${HIDDEN_PREFIX}${name}`;
    const value = env[hidden];
    if (value === undefined) continue;
    env[name] = value;
    delete env[hidden];
  }
}
