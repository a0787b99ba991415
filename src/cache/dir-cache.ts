import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { verifyDigest } from '../layer/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';
import {
  CACHE_METADATA_LABEL,
  type CacheMetadata,
  parseCacheMetadata,
  serializeCacheMetadata,
} from './metadata.ts';
import { checkDiffID, declaredDiffID, tarStreamOf, writeTarFile } from './tar-file.ts';
import type { Cache, CacheLayerSource, CacheWriter } from './types.ts';

/**
 * The directory ("volume") cache, in the reference lifecycle's format (LIFECYCLE-BEHAVIOUR.md §11):
 * `<dir>/committed/io.buildpacks.lifecycle.cache.metadata` (JSON) and `<dir>/committed/<diffID>.tar`
 * (uncompressed tars named by diffID, colon included); writes go to `<dir>/staging/`, and commit swaps
 * `committed` → `committed-backup`, `staging` → `committed`, then deletes the backup.
 *
 * Crash safety (DESIGN.md "Reliability"): every file is fsynced before the swap and the directory after
 * it. A process killed between the two renames leaves only `committed-backup`; opening the cache puts it
 * back (the reference would discard it), so a killed exporter always leaves the old or the new version.
 */

const COMMITTED = 'committed';
const STAGING = 'staging';
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
 * Opens a directory cache. The directory must exist (`failed to create volume cache`, exit 1, as the
 * reference). Recovers an interrupted commit, empties `staging/`, and creates `committed/`.
 */
export async function openDirCache(dir: string): Promise<Cache> {
  const committed = join(dir, COMMITTED);
  const staging = join(dir, STAGING);
  const backup = join(dir, BACKUP);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    if ((await exists(backup)) && !(await exists(committed))) await rename(backup, committed);
    await rm(backup, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await mkdir(committed, { recursive: true });
  } catch (e) {
    throw new LifecycleError(
      'ERR_CACHE_OPEN',
      'failed',
      `failed to create volume cache: ${dir}: ${code(e) === 'ENOENT' ? 'no such directory; create it or pass another -cache-dir' : messageOf(e)}`,
      { cause: e },
    );
  }
  const metadataText = await readFile(join(committed, CACHE_METADATA_LABEL), 'utf8').catch(() => undefined);
  let writer: CacheWriter | undefined;
  return {
    kind: 'dir',
    name: dir,
    exists: () => metadataText !== undefined,
    metadata: async () => parseCacheMetadata(metadataText),
    has: (diffID) => exists(join(committed, tarName(diffID))),
    async layer(diffID, signal) {
      const path = join(committed, tarName(diffID));
      try {
        await stat(path);
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
      const file = createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
      return verifyDigest(file, diffID, undefined, 'layer contents');
    },
    startWrite() {
      if (writer !== undefined) throw new Error('dir cache: startWrite called twice');
      writer = dirWriter(dir, committed, staging, backup);
      return writer;
    },
  };
}

function dirWriter(dir: string, committed: string, staging: string, backup: string): CacheWriter {
  let done = false;
  const check = () => {
    if (done)
      throw new LifecycleError('ERR_CACHE_COMMITTED', 'failed', 'cache cannot be modified after commit');
  };
  return {
    async addLayer(from: CacheLayerSource, diffID?: string) {
      check();
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
      const name = tarName(diffID);
      try {
        await link(join(committed, name), join(staging, name));
      } catch (e) {
        if (code(e) === 'EEXIST') return;
        if (code(e) === 'ENOENT') throw missingLayer(diffID, e);
        throw new LifecycleError(
          'ERR_CACHE_WRITE',
          'failed',
          `failed to reuse cache layer ${diffID}: ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
    },
    async setMetadata(m: CacheMetadata) {
      check();
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
      done = true;
      try {
        await syncDir(staging);
        await rename(committed, backup);
      } catch (e) {
        throw new LifecycleError(
          'ERR_CACHE_COMMIT',
          'failed',
          `failed to back up cache ${dir}: ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
      try {
        await rename(staging, committed);
      } catch (e) {
        await rename(backup, committed).catch(() => {});
        throw new LifecycleError(
          'ERR_CACHE_COMMIT',
          'failed',
          `failed to commit cache ${dir}: ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
      await syncDir(dir);
      await rm(backup, { recursive: true, force: true });
    },
  };
}
