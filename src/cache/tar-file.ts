import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type Layer, MediaType } from '../image/index.ts';
import { DEFLATE_MEM_LEVEL } from '../layer/index.ts';
import { isLifecycleError, LifecycleError, messageOf } from '../platform/index.ts';
import type { CacheLayerSource } from './types.ts';

/** Identity of a stored tar: `diffID` of the tar, `digest` and `size` of the bytes in the file. */
export interface StoredTar {
  readonly diffID: string;
  readonly digest: string;
  readonly size: number;
}

function isLayer(s: CacheLayerSource): s is Layer {
  return typeof (s as Layer).uncompressed === 'function' && typeof (s as Layer).diffID === 'string';
}

/** The uncompressed tar stream of a source. */
export async function tarStreamOf(from: CacheLayerSource): Promise<Readable> {
  if (isLayer(from)) return from.uncompressed();
  if ('tarPath' in from && typeof from.tarPath === 'string') {
    return createReadStream(from.tarPath, { highWaterMark: 1 << 20 });
  }
  return from as Readable;
}

/** The diffID a source declares (layers know theirs), if any. */
export function declaredDiffID(from: CacheLayerSource): string | undefined {
  return isLayer(from) ? from.diffID : undefined;
}

function hasher(update: (c: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      update(chunk);
      cb(null, chunk);
    },
  });
}

/** A writable file handle sink that fsyncs before it finishes (DESIGN.md "Reliability"). */
async function syncedFile(path: string): Promise<Writable> {
  const fh = await open(path, 'wx', 0o644);
  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      fh.write(chunk).then(() => cb(), cb);
    },
    final(cb) {
      fh.sync()
        .then(() => fh.close())
        .then(() => cb(), cb);
    },
    destroy(err, cb) {
      fh.close().then(
        () => cb(err),
        () => cb(err),
      );
    },
  });
}

/**
 * Streams a tar into `path` (created; gzipped when `gzip`), hashing the tar (diffID) and the written
 * bytes (digest, size) in the same pass, then fsyncs it. The file is removed on failure; `expectDiffID`
 * is checked after the last byte.
 */
export async function writeTarFile(
  tar: Readable,
  path: string,
  opts: { readonly gzip?: boolean; readonly expectDiffID?: string } = {},
): Promise<StoredTar> {
  const diff = createHash('sha256');
  const dig = createHash('sha256');
  let size = 0;
  const counter = hasher((c) => {
    dig.update(c);
    size += c.length;
  });
  try {
    const out = await syncedFile(path);
    if (opts.gzip)
      await pipeline(
        tar,
        hasher((c) => diff.update(c)),
        createGzip({ level: 1, memLevel: DEFLATE_MEM_LEVEL }),
        counter,
        out,
      );
    else
      await pipeline(
        tar,
        hasher((c) => diff.update(c)),
        counter,
        out,
      );
  } catch (e) {
    await rm(path, { force: true });
    if (isLifecycleError(e)) throw e;
    throw new LifecycleError(
      'ERR_CACHE_WRITE',
      'failed',
      `failed to write cache layer ${path}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
  const diffID = `sha256:${diff.digest('hex')}`;
  if (opts.expectDiffID !== undefined && opts.expectDiffID !== diffID) {
    await rm(path, { force: true });
    throw new LifecycleError(
      'ERR_DIGEST_MISMATCH',
      'failed',
      `expected cache layer to have SHA '${opts.expectDiffID}'; found '${diffID}'`,
    );
  }
  const digest = opts.gzip ? `sha256:${dig.digest('hex')}` : diffID;
  return { diffID, digest, size };
}

/** Media type of layers the image cache generates. */
export const GENERATED_LAYER_MEDIA_TYPE = MediaType.ociLayerGzip;

/** A valid diffID (`sha256:<64 hex>`), so it can name a file safely. */
export function checkDiffID(diffID: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(diffID)) {
    throw new LifecycleError('ERR_DIGEST_INVALID', 'failed', `invalid cache layer diffID '${diffID}'`);
  }
  return diffID;
}
