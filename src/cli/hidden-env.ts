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
  'GLIBC_TUNABLES',
] as const;

/** Prefix of the names the C program moves the variables to. */
export const HIDDEN_PREFIX = 'CNB_LIFECYCLE_HIDDEN_';

/**
 * Names (comma-separated) of the variables the C program set for the runtime itself (D-437: the malloc
 * tunables). Their values are not the platform's: they are taken out before the hidden ones go back.
 */
export const RUNTIME_ENV_MARKER = 'CNB_LIFECYCLE_RUNTIME_ENV';

/** The variables the C program may set for the runtime: a marker naming anything else is not obeyed. */
const RUNTIME_ENV: ReadonlySet<string> = new Set(['GLIBC_TUNABLES']);

/**
 * Takes out the variables the C program set for the runtime, puts the moved-aside variables back into
 * `env` (in place) and removes their hidden copies. Returns what the runtime was started with, for the
 * debug log.
 */
export function restoreHiddenEnv(env: Record<string, string | undefined>): Record<string, string> {
  const runtime: Record<string, string> = {};
  for (const name of (env[RUNTIME_ENV_MARKER] ?? '').split(',')) {
    if (!RUNTIME_ENV.has(name)) continue;
    const value = env[name];
    if (value !== undefined) runtime[name] = value;
    delete env[name];
  }
  delete env[RUNTIME_ENV_MARKER];
  for (const name of HIDDEN_ENV) {
    const hidden = `${HIDDEN_PREFIX}${name}`;
    const value = env[hidden];
    if (value === undefined) continue;
    env[name] = value;
    delete env[hidden];
  }
  return runtime;
}
