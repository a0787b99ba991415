import { LifecycleError, type Logger, messageOf } from '../../platform/index.ts';
import { type DockerConnect, dockerSocketPath, startDockerConnector } from './docker-connector.ts';
import { chownTree, ensureOwner } from './tree.ts';
import { type EnvOverrides, switchTarget, userEnv } from './user.ts';

/**
 * Running as root with a build user (platform.md "Inputs" `CNB_USER_ID`/`CNB_GROUP_ID`; DESIGN.md
 * "Reliability and security"; D-200): every phase resolves what needs root first (registry
 * credentials, the Docker socket), hands the directories it shares with buildpacks to the build user,
 * then drops to that user for good, before it opens anything a buildpack controls. Nothing a
 * buildpack wrote is ever opened, read, written or chowned with root's rights.
 */
export interface BuildUserOptions {
  /** CNB_USER_ID / `-uid`; unset means 0, as the reference reads an unset int. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** Directories to hand over (layers, cache-dir, launch-cache, …); missing or undefined ones are skipped. */
  readonly dirs: readonly (string | undefined)[];
  /** The phase's environment (HOME for the fallback of {@link userEnv}). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** DOCKER_HOST, when the phase talks to the daemon after the drop (D-202). */
  readonly dockerHost?: string | undefined;
  /** passwd(5) file for HOME/USER (default `/etc/passwd`). */
  readonly passwdPath?: string;
}

/** Who the phase now runs as. */
export interface BuildUser {
  /** True when the process was root and is now the build user. */
  readonly active: boolean;
  /** HOME/USER for buildpacks (empty when nothing switched). */
  readonly env: EnvOverrides;
  /** Connects to the Docker socket with root's rights (only when active with a unix DOCKER_HOST). */
  readonly dockerConnect?: DockerConnect;
  /** Ends the Docker connector, if any. */
  close(): void;
}

/**
 * Drops to `uid:gid` for good (supplementary groups `[gid]`, then gid, then uid: real, effective and
 * saved IDs, as setresgid/setresuid do in the reference).
 * @throws LifecycleError (exit 1) when the kernel refuses.
 */
export function dropPrivileges(uid: number, gid: number): void {
  try {
    process.setgroups?.([gid]);
    process.setgid?.(gid);
    process.setuid?.(uid);
  } catch (e) {
    throw new LifecycleError(
      'ERR_DROP_PRIVILEGES',
      'failed',
      `failed to run as user ${uid}:${gid}: ${messageOf(e)}`,
      { cause: e },
    );
  }
}

const STAY: BuildUser = { active: false, env: {}, close() {} };

/**
 * When running as root with a non-root build user: hands `dirs` to it (no-follow, D-201), works out
 * HOME/USER (D-203), starts the Docker connector when `dockerHost` is a unix socket (D-202), and drops
 * privileges for good. Does nothing when not root, or when the build user is root itself (D-110).
 */
export async function becomeBuildUser(o: BuildUserOptions, log: Logger): Promise<BuildUser> {
  const target = switchTarget(o.uid, o.gid, process.getuid?.() ?? -1);
  if (target === undefined) {
    if (process.getuid?.() === 0) log.debug('Running as root: build user is root, keeping privileges');
    return STAY;
  }
  const { uid, gid } = target;
  for (const d of await ensureOwner(uid, gid, o.dirs)) log.debug(`Changed owner of ${d} to ${uid}:${gid}`);
  const env = await userEnv(target, o.env ?? {}, o.passwdPath);
  if (env.note) log.debug(env.note);
  const socket = o.dockerHost === undefined ? undefined : dockerSocketPath(o.dockerHost);
  const connector = socket === undefined ? undefined : startDockerConnector(socket);
  try {
    dropPrivileges(uid, gid);
  } catch (e) {
    connector?.close();
    throw e;
  }
  log.debug(`Running as ${uid}:${gid}`);
  return {
    active: true,
    env: env.overrides,
    ...(connector ? { dockerConnect: connector.connect } : {}),
    close: () => connector?.close(),
  };
}

/** How a phase that runs buildpacks (detector, builder) treats the build user (D-200). */
export interface BuildpackUser {
  /** uid/gid to spawn buildpacks with; empty when the process itself already is the build user. */
  readonly spawnAs: { readonly uid?: number; readonly gid?: number };
  /** HOME/USER for buildpacks (D-203). */
  readonly env: EnvOverrides;
  /** Hands paths the phase wrote to the build user (in-process mode only; no-follow, D-201). */
  handOver(paths: readonly (string | undefined)[]): Promise<void>;
}

/**
 * The build user of the detector or builder. With `drop` (what the CLI asks for) a root process hands
 * `dirs` over and becomes the build user before anything runs ({@link becomeBuildUser}). Without it —
 * a Node program calling the phase in-process as root keeps its own privileges — buildpacks are
 * spawned as the build user and what the phase wrote is handed over afterwards; the caller's env is
 * used as given (D-203).
 */
export async function buildpackUser(
  o: BuildUserOptions & { readonly drop: boolean },
  log: Logger,
): Promise<BuildpackUser> {
  const none: BuildpackUser = { spawnAs: {}, env: {}, handOver: async () => {} };
  const target = switchTarget(o.uid, o.gid, process.getuid?.() ?? -1);
  if (target === undefined) return none;
  if (o.drop) return { ...none, env: (await becomeBuildUser(o, log)).env };
  // In-process callers pass the buildpacks' HOME/USER in the phase's env themselves (D-203).
  return {
    spawnAs: target,
    env: {},
    async handOver(paths) {
      for (const p of paths) {
        if (p === undefined || p === '') continue;
        try {
          await chownTree(p, target.uid, target.gid);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw new LifecycleError(
            'ERR_CHOWN',
            'failed',
            `failed to chown ${p} to ${target.uid}:${target.gid}: ${messageOf(e)}`,
            { cause: e },
          );
        }
      }
    },
  };
}
