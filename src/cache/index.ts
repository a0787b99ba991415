/**
 * Layer caches (platform.md "Caching"; docs/reference-behaviour.md §11): the directory cache (`-cache-dir`)
 * and the image cache (`-cache-image`), both in the reference lifecycle's formats so that a platform
 * switching lifecycles keeps its caches.
 */
import { openDirCache } from './dir-cache.ts';
import { type ImageCacheOptions, openImageCache } from './image-cache.ts';
import type { Cache } from './types.ts';

export {
  CACHE_METADATA_LABEL,
  type CacheMetadata,
  cachedBuildpack,
  EMPTY_CACHE_METADATA,
  parseCacheMetadata,
  serializeCacheMetadata,
} from './cache-metadata.ts';
export { openDirCache } from './dir-cache.ts';
export { type ImageCacheOptions, openImageCache } from './image-cache.ts';
export type { Cache, CacheLayerSource, CacheWriter } from './types.ts';

/** Where the cache is: a directory, or an image reference plus registry options. */
export type CacheLocation = { readonly dir: string } | ({ readonly image: string } & ImageCacheOptions);

/** Opens the cache at `where` (see {@link openDirCache} and {@link openImageCache}). */
export function openCache(where: CacheLocation): Promise<Cache> {
  if ('dir' in where) return openDirCache(where.dir);
  const { image, ...opts } = where;
  return openImageCache(image, opts);
}
export {
  isCacheReadError,
  type RestoreBuildpack,
  type RestoreLayersOptions,
  restoreLayerData,
  restoreSboms,
} from './restore-layers.ts';
export {
  type DataDecision,
  dataDecision,
  type MetadataRestore,
  type MetadataSkip,
  planLayerMetadata,
  validLayerName,
} from './restore-plan.ts';
