import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildImage,
  goArch,
  type Image,
  type Layer,
  memoryLayer,
  remote,
  toReference,
} from '../image/index.ts';
import { fileLayer } from '../layer/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';
import {
  CACHE_METADATA_LABEL,
  type CacheMetadata,
  parseCacheMetadata,
  serializeCacheMetadata,
} from './cache-metadata.ts';
import { declaredDiffID, GENERATED_LAYER_MEDIA_TYPE, tarStreamOf, writeTarFile } from './tar-file.ts';
import type { Cache, CacheLayerSource, CacheWriter } from './types.ts';

/**
 * The image cache (`-cache-image`), in the reference lifecycle's format (docs/reference-behaviour.md §11):
 * an image whose label `io.buildpacks.lifecycle.cache.metadata` holds the cache metadata JSON and whose
 * layers are the cached layers (found by diffID). Each commit pushes a new image built from scratch
 * (Docker media types, like the reference's imgutil), with a single empty layer when there is nothing
 * to cache. Reused layers keep their blobs: the push finds them in the repository and uploads nothing.
 * The previous cache image is kept (the tag moves) unless `deletePrevious` is given.
 */
export interface ImageCacheOptions extends remote.RemoteOptions {
  /** Where layers added from tar streams are compressed before the push; default the OS temp dir. */
  readonly tmpDir?: string;
  /**
   * After a commit that changed the image, delete the previous cache image by digest, warning through
   * `warn` when the registry refuses (the reference's exporter before Platform API 0.13, D-313).
   */
  readonly deletePrevious?: { readonly warn: (message: string) => void };
}

/** An empty tar (two zero blocks): the single layer of a cache image with nothing cached. */
const EMPTY_TAR = new Uint8Array(1024);

async function readPrevious(ref: string, opts: remote.RemoteOptions): Promise<Image | undefined> {
  try {
    if ((await remote.head(ref, opts)) === undefined) return undefined;
    return await remote.image(ref, opts);
  } catch (e) {
    throw new LifecycleError('ERR_CACHE_OPEN', 'failed', `accessing cache image "${ref}": ${messageOf(e)}`, {
      cause: e,
    });
  }
}

/** Opens an image cache: reads the previous cache image's manifest and config (no layer bytes). */
export async function openImageCache(ref: string, options: ImageCacheOptions = {}): Promise<Cache> {
  const { tmpDir, deletePrevious, ...rest } = options;
  const opts: remote.RemoteOptions = { ...rest, session: rest.session ?? remote.createSession() };
  const previous = await readPrevious(ref, opts);
  const byDiffID = new Map<string, Layer>();
  for (const l of previous?.layers ?? []) byDiffID.set(l.diffID, l);
  const label = previous?.config.config?.Labels?.[CACHE_METADATA_LABEL];
  let writer: CacheWriter | undefined;
  return {
    kind: 'image',
    name: ref,
    exists: () => previous !== undefined,
    metadata: async () => parseCacheMetadata(label),
    has: async (diffID) => byDiffID.has(diffID),
    async layer(diffID, signal) {
      const l = byDiffID.get(diffID);
      if (l === undefined) {
        throw new LifecycleError(
          'ERR_CACHE_LAYER_MISSING',
          'failed',
          `failed to find cache layer with SHA '${diffID}' in cache image ${ref}`,
        );
      }
      return l.uncompressed(signal);
    },
    startWrite() {
      if (writer !== undefined) throw new Error('image cache: startWrite called twice');
      const replaced =
        deletePrevious && previous ? { digest: previous.digest, warn: deletePrevious.warn } : undefined;
      writer = imageWriter(ref, opts, byDiffID, tmpDir ?? tmpdir(), replaced);
      return writer;
    },
  };
}

function imageWriter(
  ref: string,
  opts: remote.RemoteOptions,
  previous: ReadonlyMap<string, Layer>,
  tmpRoot: string,
  replaced?: { readonly digest: string; readonly warn: (message: string) => void },
): CacheWriter {
  const layers = new Map<string, Layer>();
  let metadata: CacheMetadata = { buildpacks: [] };
  let work: Promise<string> | undefined;
  let done = false;
  const check = () => {
    if (done)
      throw new LifecycleError('ERR_CACHE_COMMITTED', 'failed', 'cache cannot be modified after commit');
  };
  const workDir = () => {
    work ??= mkdtemp(join(tmpRoot, 'image-cache-layers-'));
    return work;
  };
  return {
    async addLayer(from: CacheLayerSource, diffID?: string) {
      check();
      const declared = declaredDiffID(from);
      if (declared !== undefined && (diffID === undefined || diffID === declared)) {
        // An image layer already has a blob: push it as it is (mounted or found by HEAD when it can be).
        layers.set(declared, from as Layer);
        return declared;
      }
      if (diffID !== undefined && layers.has(diffID)) return diffID;
      const path = join(await workDir(), `${randomBytes(8).toString('hex')}.tar.gz`);
      const stored = await writeTarFile(await tarStreamOf(from), path, {
        gzip: true,
        ...(diffID === undefined ? {} : { expectDiffID: diffID }),
      });
      if (!layers.has(stored.diffID))
        layers.set(stored.diffID, fileLayer(path, { ...stored, mediaType: GENERATED_LAYER_MEDIA_TYPE }));
      return stored.diffID;
    },
    async reuseLayer(diffID) {
      check();
      const l = previous.get(diffID);
      if (l === undefined) {
        throw new LifecycleError(
          'ERR_CACHE_LAYER_MISSING',
          'failed',
          `failed to reuse cache layer with SHA '${diffID}': the previous cache image ${ref} does not have it`,
        );
      }
      layers.set(diffID, l);
    },
    async setMetadata(m) {
      check();
      metadata = m;
    },
    async commit() {
      check();
      done = true;
      const list = [...layers.values()];
      const img = buildImage({
        config: {
          os: 'linux',
          architecture: goArch(process.arch),
          config: { Labels: { [CACHE_METADATA_LABEL]: serializeCacheMetadata(metadata) } },
        },
        layers: list.length > 0 ? list : [memoryLayer(EMPTY_TAR)],
        mediaTypes: 'docker',
      });
      try {
        const written = await remote.write(ref, img, opts);
        if (replaced && replaced.digest !== written.digest) await deleteReplaced(ref, replaced, opts);
      } catch (e) {
        throw new LifecycleError('ERR_CACHE_COMMIT', 'failed', `saving image '${ref}': ${messageOf(e)}`, {
          cause: e,
        });
      } finally {
        if (work !== undefined) await rm(await work, { recursive: true, force: true });
      }
    },
  };
}

/** Deletes the cache image a commit replaced; a refusal is a warning, as the reference. */
async function deleteReplaced(
  ref: string,
  replaced: { readonly digest: string; readonly warn: (message: string) => void },
  opts: remote.RemoteOptions,
): Promise<void> {
  const { name } = toReference(ref);
  try {
    await remote.deleteImage(`${name}@${replaced.digest}`, opts);
  } catch (e) {
    replaced.warn(`Unable to delete cache image: ${name}@${replaced.digest}: ${messageOf(e)}`);
  }
}
