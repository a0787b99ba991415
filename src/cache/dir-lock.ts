import { link, lstat, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LifecycleError } from '../platform/index.ts';
import { currentOwner, type Owner, ownerToken, parseOwnerToken, provablyGone } from './owner.ts';

/**
 * Sharing one cache directory between processes (D-231). Each writer stages in its own
 * `staging-<owner>` directory; commits (two renames) are serialized by `commit.lock`, a file created
 * atomically with link(2) and holding its owner's token. Work of another process is removed only when
 * its owner is provably gone (see {@link provablyGone}) or, for the lock, after it was held far longer
 * than any commit takes.
 */

export const LOCK = 'commit.lock';
const STAGING_PREFIX = 'staging-';
const TMP_PREFIX = '.commit.lock.';
/** A commit holds the lock for two renames and two fsyncs: an older lock is stale. */
const LOCK_MAX_AGE_MS = 10 * 60_000;
/** A staging area nobody wrote to for this long belongs to a writer that is gone. */
const STAGING_MAX_IDLE_MS = 24 * 60 * 60_000;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** A staging directory name for `owner`. */
export function stagingName(owner: Owner): string {
  return `${STAGING_PREFIX}${ownerToken(owner)}`;
}

/** Newest mtime of a directory and its entries (ms), or undefined when it is gone. */
async function lastWrite(dir: string): Promise<number | undefined> {
  try {
    let t = (await stat(dir)).mtimeMs;
    for (const f of await readdir(dir)) {
      const m = await lstat(join(dir, f)).then(
        (s) => s.mtimeMs,
        () => 0,
      );
      if (m > t) t = m;
    }
    return t;
  } catch {
    return undefined;
  }
}

/**
 * Removes staging areas and lock temporaries of writers that are provably gone, and staging areas idle
 * for a day. Never touches the work of a live (or unknown) writer, nor the reference's `staging`.
 */
export async function sweepStale(dir: string, me: Owner, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const prefix = name.startsWith(STAGING_PREFIX)
      ? STAGING_PREFIX
      : name.startsWith(TMP_PREFIX)
        ? TMP_PREFIX
        : '';
    if (prefix === '') continue;
    const owner = parseOwnerToken(name.slice(prefix.length).replace(/^broken\./, ''));
    if (owner === undefined) continue;
    let stale = provablyGone(owner, me);
    if (!stale && prefix === STAGING_PREFIX) {
      const t = await lastWrite(join(dir, name));
      stale = t !== undefined && now - t > STAGING_MAX_IDLE_MS;
    }
    if (stale) {
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** The commit lock, held; `release` removes it if it is still ours. */
export interface HeldLock {
  release(): Promise<void>;
}

async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'latin1');
  } catch (e) {
    if (code(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/** True when the lock held by `token` (file mtime `mtimeMs`) can be broken. */
function breakable(token: string, mtimeMs: number, me: Owner, now: number): boolean {
  const owner = parseOwnerToken(token);
  if (owner !== undefined && provablyGone(owner, me)) return true;
  return now - mtimeMs > LOCK_MAX_AGE_MS;
}

/**
 * Takes `<dir>/commit.lock`, waiting (polling with jitter) while another live writer holds it, up to
 * `timeoutMs`. A lock whose holder is provably gone, or older than any commit, is broken: it is renamed
 * away first and removed only if it still names the holder that was judged gone, so two processes breaking
 * the same lock cannot remove a fresh one.
 */
export async function acquireCommitLock(dir: string, timeoutMs = 120_000): Promise<HeldLock> {
  const me = currentOwner();
  const token = ownerToken(me);
  const lock = join(dir, LOCK);
  const tmp = join(dir, `${TMP_PREFIX}${token}`);
  await writeFile(tmp, token, { flag: 'wx', mode: 0o644 });
  const deadline = Date.now() + timeoutMs;
  let holder: string | undefined;
  try {
    for (;;) {
      try {
        await link(tmp, lock);
        break;
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e;
      }
      holder = await readLock(lock);
      const st = await lstat(lock).catch(() => undefined);
      if (holder === undefined || st === undefined) continue;
      if (breakable(holder, st.mtimeMs, me, Date.now())) {
        const aside = join(dir, `${TMP_PREFIX}broken.${token}`);
        try {
          await rename(lock, aside);
        } catch (e) {
          if (code(e) === 'ENOENT') continue;
          throw e;
        }
        // Put back a lock that changed hands between the check and the rename.
        if ((await readLock(aside)) !== holder) await link(aside, lock).catch(() => {});
        await unlink(aside).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new LifecycleError(
          'ERR_CACHE_LOCKED',
          'failed',
          `failed to commit cache ${dir}: ${lock} is held by another build (${holder}); if no build uses this cache, remove ${lock}`,
        );
      }
      await sleep(20 + Math.floor(Math.random() * 180));
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return {
    async release() {
      if ((await readLock(lock)) === token) await unlink(lock).catch(() => {});
    },
  };
}
