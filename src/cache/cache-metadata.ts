import {
  type BuildpackLayersMetadata,
  type LayerShaRef,
  lifecycleMetadataLabel,
  parseLifecycleMetadataLabel,
} from '../files/index.ts';

/**
 * The cache's metadata (docs/reference-behaviour.md §11 "Cache formats"): the file
 * `committed/io.buildpacks.lifecycle.cache.metadata` of a directory cache and the label of the same
 * name on a cache image hold the same JSON, as the reference lifecycle writes it:
 * `{"buildpacks":[{"key","version","layers":{"<name>":{"sha","data","build","launch","cache"}}}],"sbom":{"sha"}}`.
 */
export const CACHE_METADATA_LABEL = 'io.buildpacks.lifecycle.cache.metadata';

/** Same shape as the `buildpacks` (and `sbom`) members of the `io.buildpacks.lifecycle.metadata` label. */
export interface CacheMetadata {
  readonly buildpacks: readonly BuildpackLayersMetadata[];
  /** The cached SBOM layer (`<layers>/sbom/cache`), by diffID. */
  readonly sbom?: LayerShaRef;
}

/** The metadata of an empty cache. */
export const EMPTY_CACHE_METADATA: CacheMetadata = Object.freeze({ buildpacks: [] });

/**
 * Parses cache metadata JSON. Like the reference, missing or invalid JSON is an empty cache, never an
 * error: a damaged cache costs a rebuild, not a failed build.
 */
export function parseCacheMetadata(json: string | undefined): CacheMetadata {
  try {
    const m = parseLifecycleMetadataLabel(json, 'cache');
    return { buildpacks: m.buildpacks ?? [], ...(m.sbom === undefined ? {} : { sbom: m.sbom }) };
  } catch {
    return EMPTY_CACHE_METADATA;
  }
}

/** Serializes cache metadata as JSON (stable key order, so equal metadata gives equal bytes). */
export function serializeCacheMetadata(m: CacheMetadata): string {
  return lifecycleMetadataLabel({
    buildpacks: m.buildpacks,
    ...(m.sbom === undefined ? {} : { sbom: m.sbom }),
  });
}

/** The entry for buildpack `id` (an empty one when absent). */
export function cachedBuildpack(m: CacheMetadata, id: string): BuildpackLayersMetadata {
  return m.buildpacks.find((b) => b.key === id) ?? { key: id, version: '', layers: {} };
}
