import { randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { verifyDigest } from '../layer/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';
import {
  CACHE_METADATA_LABEL,
  type CacheMetadata,
  parseCacheMetadata,
  serializeCacheMetadata,
} from './cache-metadata.ts';
import { acquireCommitLock, stagingName, sweepStale } from './dir-lock.ts';
import { currentOwner } from './owner.ts';
import { checkDiffID, declaredDiffID, tarStreamOf, writeTarFile } from './tar-file.ts';
import type { Cache, CacheLayerSource, CacheWriter } from './types.ts';

/**
 * The directory ("volume") cache, in the reference lifecycle's format (docs/reference-behaviour.md §11):
 * `<dir>/committed/io.buildpacks.lifecycle.cache.metadata` (JSON) and `<dir>/committed/<diffID>.tar`
 * (uncompressed tars named by diffID, colon included). Each writer stages in its own `staging-<owner>/`;
 * commit, under `commit.lock`, swaps `committed` → `committed-backup`, staging → `committed`, then deletes
 * the backup (D-231).
 *
 * Sharing (D-231): opening never changes the directory, so readers and writers of other builds are never
 * disturbed; readers that find `committed` mid-swap read `committed-backup`. Writers remove only staging
 * areas of writers that are provably gone.
 *
 * Crash safety (DESIGN.md "Reliability"): every file is fsynced before the swap and the directory after
 * it. A process killed between the two renames leaves only `committed-backup`: readers use it, and the
 * next commit puts it back first (the reference would discard it), so a killed exporter always leaves the
 * old or the new version.
 */

const COMMITTED = 'committed';
const BACKUP = 'committed-backup';

const tarName = (diffID: string) => `${checkDiffID(diffID)}.tar`;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return false;
    throw e;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function missingLayer(diffID: string, cause?: unknown): LifecycleError {
  return new LifecycleError(
    'ERR_CACHE_LAYER_MISSING',
    'failed',
    `failed to find cache layer with SHA '${diffID}'`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Runs `f` on `committed/<name>`, then on `committed-backup/<name>` and `committed/<name>` again while
 * the file is missing (ENOENT): a commit of another process may be between its two renames.
 */
async function inCommitted<T>(dir: string, name: string, f: (path: string) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const d of [COMMITTED, BACKUP, COMMITTED]) {
    try {
      return await f(join(dir, d, name));
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
      last = e;
    }
  }
  throw last;
}

/**
 * Opens a directory cache. The directory must exist (`failed to create volume cache`, exit 1, as the
 * reference). Nothing in it is changed: writes start with {@link Cache.startWrite}.
 */
export async function openDirCache(dir: string): Promise<Cache> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new LifecycleError(
      'ERR_CACHE_OPEN',
      'failed',
      `failed to create volume cache: ${dir}: ${code(e) === 'ENOENT' ? 'no such directory; create it or pass another -cache-dir' : messageOf(e)}`,
      { cause: e },
    );
  }
  const metadataText = await inCommitted(dir, CACHE_METADATA_LABEL, (p) => readFile(p, 'utf8')).catch(
    () => undefined,
  );
  let writer: CacheWriter | undefined;
  return {
    kind: 'dir',
    name: dir,
    exists: () => metadataText !== undefined,
    metadata: async () => parseCacheMetadata(metadataText),
    has: (diffID) =>
      inCommitted(dir, tarName(diffID), async (p) => {
        await stat(p);
        return true;
      }).catch((e) => {
        if (code(e) === 'ENOENT') return false;
        throw e;
      }),
    async layer(diffID, signal) {
      let fh: FileHandle;
      try {
        fh = await inCommitted(dir, tarName(diffID), (p) => open(p, 'r'));
      } catch (e) {
        if (code(e) === 'ENOENT') throw missingLayer(diffID, e);
        const why = code(e) === 'EACCES' ? 'due to insufficient permissions' : messageOf(e);
        throw new LifecycleError(
          'ERR_CACHE_READ',
          'failed',
          `failed to read cache layer with SHA '${diffID}' ${why}`,
          {
            cause: e,
          },
        );
      }
      // Read through the open descriptor: a commit that replaces the file meanwhile does not matter.
      const file = fh.createReadStream({ highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
      return verifyDigest(file, diffID, undefined, 'layer contents');
    },
    startWrite() {
      if (writer !== undefined) throw new Error('dir cache: startWrite called twice');
      writer = dirWriter(dir);
      return writer;
    },
  };
}

function writeError(what: string, e: unknown): LifecycleError {
  if (e instanceof LifecycleError) return e;
  return new LifecycleError('ERR_CACHE_WRITE', 'failed', `${what}: ${messageOf(e)}`, { cause: e });
}

function dirWriter(dir: string): CacheWriter {
  const committed = join(dir, COMMITTED);
  const backup = join(dir, BACKUP);
  const me = currentOwner();
  const staging = join(dir, stagingName(me));
  let done = false;
  // Set up on first use: the interface starts writers synchronously.
  let setup: Promise<void> | undefined;
  const ready = (): Promise<void> => {
    setup ??= (async () => {
      try {
        await sweepStale(dir, me);
        await mkdir(staging);
      } catch (e) {
        throw writeError(`failed to create cache staging directory in ${dir}`, e);
      }
    })();
    return setup;
  };
  const check = () => {
    if (done)
      throw new LifecycleError('ERR_CACHE_COMMITTED', 'failed', 'cache cannot be modified after commit');
  };
  return {
    async addLayer(from: CacheLayerSource, diffID?: string) {
      check();
      await ready();
      const expect = diffID ?? declaredDiffID(from);
      if (expect !== undefined && (await exists(join(staging, tarName(expect))))) {
        if (!('tarPath' in from) && typeof (from as Readable).resume === 'function')
          (from as Readable).resume();
        return expect;
      }
      const tmp = join(staging, `.${randomBytes(6).toString('hex')}.tmp`);
      const stored = await writeTarFile(await tarStreamOf(from), tmp, {
        ...(expect === undefined ? {} : { expectDiffID: expect }),
      });
      await rename(tmp, join(staging, tarName(stored.diffID)));
      return stored.diffID;
    },
    async reuseLayer(diffID) {
      check();
      await ready();
      const name = tarName(diffID);
      try {
        await inCommitted(dir, name, (p) => link(p, join(staging, name)));
      } catch (e) {
        if (code(e) === 'EEXIST') return;
        if (code(e) === 'ENOENT') throw missingLayer(diffID, e);
        throw writeError(`failed to reuse cache layer ${diffID}`, e);
      }
    },
    async setMetadata(m: CacheMetadata) {
      check();
      await ready();
      const tmp = join(staging, `.metadata.${randomBytes(6).toString('hex')}.tmp`);
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(`${serializeCacheMetadata(m)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(staging, CACHE_METADATA_LABEL));
    },
    async commit() {
      check();
      await ready();
      done = true;
      await syncDir(staging);
      const lock = await acquireCommitLock(dir);
      try {
        // Repair a commit killed between its renames (only the lock holder may): the backup is the
        // last committed version.
        if (await exists(committed)) await rm(backup, { recursive: true, force: true });
        else if (await exists(backup)) await rename(backup, committed);
        const hadCommitted = await exists(committed);
        try {
          if (hadCommitted) await rename(committed, backup);
        } catch (e) {
          throw writeError(`failed to back up cache ${dir}`, e);
        }
        try {
          await rename(staging, committed);
        } catch (e) {
          if (hadCommitted) await rename(backup, committed).catch(() => {});
          throw new LifecycleError(
            'ERR_CACHE_COMMIT',
            'failed',
            `failed to commit cache ${dir}: ${messageOf(e)}`,
            { cause: e },
          );
        }
        await syncDir(dir);
        await rm(backup, { recursive: true, force: true });
      } finally {
        await lock.release();
      }
    },
  };
}
