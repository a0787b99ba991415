import { constants } from 'node:fs';
import { lchown, lstat, opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError, type Logger, messageOf } from '../platform/index.ts';

/**
 * Running as root with a build user (LIFECYCLE-BEHAVIOUR.md §0.8 "Privileges and ownership"; DESIGN.md
 * "Reliability and security"): the analyzer, restorer, exporter and creator hand the directories they
 * share with buildpacks to CNB_USER_ID/CNB_GROUP_ID, then drop to that user, so every file written
 * afterwards belongs to it.
 */
export interface OwnershipOptions {
  /** CNB_USER_ID / `-uid`; unset means 0, as the reference reads an unset int. */
  readonly uid?: number | undefined;
  /** CNB_GROUP_ID / `-gid`; unset means 0. */
  readonly gid?: number | undefined;
  /** Directories to hand over (layers, cache-dir, launch-cache, …); missing or undefined ones are skipped. */
  readonly dirs: readonly (string | undefined)[];
}

/** True when the process runs as root (the only case where ownership is changed and privileges dropped). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * True when `uid:gid` can write a directory with this owner and mode: owner match with owner-write,
 * group match with group-write, or world-write (LIFECYCLE-BEHAVIOUR.md §0.8).
 */
export function canWrite(
  st: { readonly uid: number; readonly gid: number; readonly mode: number },
  uid: number,
  gid: number,
): boolean {
  if (st.uid === uid && (st.mode & constants.S_IWUSR) !== 0) return true;
  if (st.gid === gid && (st.mode & constants.S_IWGRP) !== 0) return true;
  return (st.mode & constants.S_IWOTH) !== 0;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const st = await lstat(path);
  if (!st.isDirectory()) return;
  const dir = await opendir(path);
  for await (const entry of dir) await chownTree(join(path, entry.name), uid, gid);
}

/**
 * Recursively changes the owner of each directory `uid:gid` cannot write (symlinks themselves, never
 * their targets). Directories it can already write are left alone, as the reference does for speed.
 * @throws LifecycleError (exit 1) naming the directory when chown fails.
 */
export async function ensureOwner(
  uid: number,
  gid: number,
  dirs: readonly (string | undefined)[],
): Promise<string[]> {
  const changed: string[] = [];
  for (const d of dirs) {
    if (d === undefined || d === '') continue;
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new LifecycleError('ERR_CHOWN', 'failed', `failed to chown ${d}: ${messageOf(e)}`, { cause: e });
    }
    if (canWrite(st, uid, gid)) continue;
    try {
      await chownTree(d, uid, gid);
      changed.push(d);
    } catch (e) {
      throw new LifecycleError(
        'ERR_CHOWN',
        'failed',
        `failed to chown ${d} to ${uid}:${gid}: ${messageOf(e)}; check that the lifecycle runs as root and the directory is on a writable file system`,
        { cause: e },
      );
    }
  }
  return changed;
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
      {
        cause: e,
      },
    );
  }
}

/** The build user after {@link handOver}: chown more paths to it, then drop to it. */
export interface BuildUser {
  /** True when running as root with a non-root build user (chown and drop do something). */
  readonly active: boolean;
  readonly uid: number;
  readonly gid: number;
  /** Recursively hands `path` to the build user (no-op when not active or missing). */
  chown(path: string): Promise<void>;
  /** Drops to the build user for good (no-op when not active). */
  drop(): void;
}

/**
 * When running as root with a non-root build user: {@link ensureOwner} on `dirs`. The returned
 * {@link BuildUser} drops privileges later, so a phase can finish root-only work first (talking to
 * the docker socket, which the build user usually cannot open). Does nothing when not root, or when
 * the build user is root itself (root can write everything, and nothing is handed over).
 */
export async function handOver(o: OwnershipOptions, log: Logger): Promise<BuildUser> {
  const uid = o.uid ?? 0;
  const gid = o.gid ?? 0;
  const active = isRoot() && (uid !== 0 || gid !== 0);
  if (active) {
    const changed = await ensureOwner(uid, gid, o.dirs);
    for (const d of changed) log.debug(`Changed owner of ${d} to ${uid}:${gid}`);
  } else if (isRoot()) log.debug('Running as root: build user is root, keeping privileges');
  return {
    active,
    uid,
    gid,
    async chown(path) {
      if (!active) return;
      try {
        await chownTree(path, uid, gid);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new LifecycleError(
          'ERR_CHOWN',
          'failed',
          `failed to chown ${path} to ${uid}:${gid}: ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
    },
    drop() {
      if (!active) return;
      dropPrivileges(uid, gid);
      log.debug(`Running as ${uid}:${gid}`);
    },
  };
}

/**
 * When running as root with a non-root build user: {@link ensureOwner} on `dirs`, then
 * {@link dropPrivileges} (LIFECYCLE-BEHAVIOUR.md §0.8). See {@link handOver} for the no-op cases.
 * Call it after registry credentials are resolved.
 */
export async function ensureOwnerAndDrop(o: OwnershipOptions, log: Logger): Promise<void> {
  (await handOver(o, log)).drop();
}

/**
 * Hands files a phase wrote while keeping root's privileges (daemon mode) to the build user; a failure
 * is a warning, since the phase's own result stands.
 */
export async function handBack(
  user: BuildUser,
  paths: readonly (string | undefined)[],
  log: Logger,
): Promise<void> {
  for (const p of paths) {
    if (p === undefined || p === '') continue;
    try {
      await user.chown(p);
    } catch (e) {
      log.warn(messageOf(e));
    }
  }
}
