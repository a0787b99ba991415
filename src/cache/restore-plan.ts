import type { LayerMetadata } from '../files/index.ts';

/**
 * Which layers the restorer brings back (buildpack.md "Layer Types"; docs/reference-behaviour.md §3
 * "Layer metadata restoration"), as pure functions of the app image metadata (analyzed.toml
 * `[metadata]`) and the cache metadata, decided exactly as the reference lifecycle does at
 * Platform API 0.12.
 */

/** A `<layer>.toml` to write: `[metadata]` only, with the SHA its contents must have. */
export interface MetadataRestore {
  readonly name: string;
  readonly sha: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly from: 'app image' | 'cache';
}

/** A layer left out, with the reason (logged at debug level). */
export interface MetadataSkip {
  readonly name: string;
  readonly from: 'app image' | 'cache';
  readonly reason: string;
}

/** True for a layer name that is a plain file name (no `/`, not `.`/`..`, not a reserved file). */
export function validLayerName(name: string): boolean {
  return (
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('\0') &&
    !['launch', 'build', 'store', 'sbom'].includes(name)
  );
}

/**
 * Layer metadata to restore for one buildpack. From the app image: launch=true layers, except
 * build=true+cache=false ones (the buildpack always recreates them) and cache=true ones the cache does
 * not hold as cache=true. From the cache: cache=true, launch=false layers (launch=true ones were handled
 * through the app image, or are stale), and with `launchFromCache` (Platform API 0.14+, D-305) also
 * launch=true ones the app image does not have. App entries come first and are never overwritten.
 */
export function planLayerMetadata(
  app: Readonly<Record<string, LayerMetadata>>,
  cached: Readonly<Record<string, LayerMetadata>>,
  opts: { readonly launchFromCache?: boolean } = {},
): { restore: MetadataRestore[]; skipped: MetadataSkip[] } {
  const restore: MetadataRestore[] = [];
  const skipped: MetadataSkip[] = [];
  const taken = new Set<string>();
  for (const name of Object.keys(app).sort()) {
    const l = app[name]!;
    const skip = (reason: string) => skipped.push({ name, from: 'app image', reason });
    if (!validLayerName(name)) skip('invalid layer name');
    else if (!l.launch) skip('marked as launch=false');
    else if (l.build && !l.cache) skip('marked as build=true, cache=false');
    else if (l.cache && cached[name]?.cache !== true) skip('marked as cache=true, but not found in cache');
    else {
      restore.push({ name, sha: l.sha, data: l.data ?? {}, from: 'app image' });
      taken.add(name);
    }
  }
  for (const name of Object.keys(cached).sort()) {
    const l = cached[name]!;
    const skip = (reason: string) => skipped.push({ name, from: 'cache', reason });
    if (!validLayerName(name)) skip('invalid layer name');
    else if (!l.cache) skip('marked as cache=false');
    else if (l.launch && (!opts.launchFromCache || name in app)) skip('marked as launch=true');
    else if (taken.has(name)) skip('metadata already restored from the app image');
    else restore.push({ name, sha: l.sha, data: l.data ?? {}, from: 'cache' });
  }
  return { restore, skipped };
}

/** What happens to a layer found in `<layers>/<bp>/` that the cache metadata marks cache=true. */
export type DataDecision = 'restore' | 'wrong sha' | 'not in cache';

/**
 * docs/reference-behaviour.md §3 "Layer data restoration": contents come from the cache only when the SHA
 * of the metadata restored in this run equals the cache's; otherwise the layer is removed.
 */
export function dataDecision(
  restoredSha: string | undefined,
  cached: LayerMetadata | undefined,
): DataDecision {
  if (cached === undefined || !cached.cache) return 'not in cache';
  return restoredSha !== undefined && restoredSha === cached.sha ? 'restore' : 'wrong sha';
}
