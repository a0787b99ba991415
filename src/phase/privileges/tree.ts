import { constants } from 'node:fs';
import { lchown, lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { LifecycleError, messageOf } from '../../platform/index.ts';
import { canWrite } from './user.ts';

/**
 * Handing directories to the build user without following anything a buildpack planted (D-201):
 * every entry is changed with `lchown` (the link, never its target), and directories are descended
 * through a descriptor opened with `O_NOFOLLOW | O_DIRECTORY`, naming children as
 * `/proc/self/fd/<n>/<name>`, so a directory swapped for a symlink mid-walk is never entered.
 */

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

async function chownChildren(dir: string, uid: number, gid: number): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(dir, DIR_FLAGS);
  } catch (e) {
    // A symlink (ELOOP) or a non-directory now at this name: its link was changed, nothing to enter.
    if (['ELOOP', 'ENOTDIR', 'ENOENT'].includes(code(e) ?? '')) return;
    throw e;
  }
  try {
    const base = `/proc/self/fd/${fh.fd}`;
    for (const e of await readdir(base, { withFileTypes: true })) {
      const child = `${base}/${e.name}`;
      try {
        await lchown(child, uid, gid);
      } catch (err) {
        if (code(err) === 'ENOENT') continue;
        throw err;
      }
      if (e.isDirectory()) await chownChildren(child, uid, gid);
    }
  } finally {
    await fh.close();
  }
}

/** Changes the owner of `path` and everything below it, following no symlink (see module doc). */
export async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  if ((await lstat(path)).isDirectory()) await chownChildren(path, uid, gid);
}

/**
 * Recursively changes the owner of each directory `uid:gid` cannot write. Directories it can already
 * write are left alone, as the reference does for speed. The platform's own paths are resolved first
 * (a platform may symlink `<layers>`); nothing below them is followed.
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
    let real: string;
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      real = await realpath(d);
      st = await stat(real);
    } catch (e) {
      if (code(e) === 'ENOENT') continue;
      throw new LifecycleError('ERR_CHOWN', 'failed', `failed to chown ${d}: ${messageOf(e)}`, { cause: e });
    }
    if (canWrite(st, uid, gid)) continue;
    try {
      await chownTree(real, uid, gid);
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
