import { join } from 'node:path';
import { escapeId, readLayerTomls } from '../buildpack/index.ts';
import type { Cache, CacheMetadata } from '../cache/index.ts';
import type { BuildpackLayersMetadata, GroupElement, LayerMetadata, LayerShaRef } from '../files/index.ts';
import { writeLayer } from '../layer/index.ts';
import { type Logger, messageOf } from '../platform/index.ts';
import { dirLayerSource, type LayerMaker } from './export-layers.ts';
import { containedDir } from './privileges/index.ts';

/**
 * Cache export (platform.md "exporter": "SHALL write the contents of all cached layers … and record the
 * diffID and layer content metadata"; docs/reference-behaviour.md §6 "Cache export"). Per-layer problems are
 * warnings; the caller turns any other failure into `Failed to export cache` (never fatal).
 */

export interface CacheExportInputs {
  readonly cache: Cache;
  readonly group: readonly GroupElement[];
  readonly layers: string;
  readonly uid: number;
  readonly gid: number;
  /** The image export's layers, shared by id (`<bp>:<layer>`) when they were made there. */
  readonly maker: LayerMaker;
  /** Temp dir for tars made only for the cache. */
  readonly tmpDir: string;
  /** The build SBOMs (`<layers>/sbom/cache`) are cached from Platform API 0.8 (platform-0.8.md "exporter"). */
  readonly sbom: boolean;
}

/** The SBOM cache layer id (docs/reference-behaviour.md §6: `<layers>/sbom/cache`, PA ≥ 0.8). */
export const CACHE_SBOM_ID = 'buildpacksio/lifecycle:cache.sbom';

/** True when the committed copy of `diffID` hashes to it (a corrupt directory cache entry is re-added). */
async function verifies(cache: Cache, diffID: string, log: Logger, id: string): Promise<boolean> {
  if (!(await cache.has(diffID))) return false;
  if (cache.kind !== 'dir') return true;
  try {
    const s = await cache.layer(diffID);
    for await (const _ of s);
    return true;
  } catch (e) {
    log.warn(`Skipping reuse for layer ${id}: ${messageOf(e)}`);
    return false;
  }
}

/**
 * Writes the cache: every cache=true layer with contents (reused when its diffID equals the previous
 * cache's and the stored copy verifies, else added), the SBOM cache layer, and new metadata that
 * replaces the old (stale buildpacks and layers are dropped); then commits.
 */
export async function exportCache(i: CacheExportInputs, log: Logger): Promise<void> {
  const { cache } = i;
  if (!cache.exists()) log.info('Layer cache not found');
  const previous = await cache.metadata();
  // D-386: beside the image export, wait until it has announced its layers, so shared ones are made once.
  await i.maker.planned();
  const w = cache.startWrite();
  let n = 0;
  const store = async (id: string, dir: string, prevSha: string | undefined): Promise<string> => {
    const shared = await i.maker.peek(id)?.catch(() => undefined);
    let diffID: string;
    let add: () => Promise<unknown>;
    if (shared && !shared.reused) {
      diffID = shared.diffID;
      add = () => w.addLayer(shared.layer, diffID);
    } else {
      log.debug(`Making cache layer '${id}' (not made for the image)`);
      const tarPath = join(i.tmpDir, `cache-${n++}.tar`);
      diffID = (await writeLayer(await dirLayerSource(dir, i.uid, i.gid)(), tarPath, { compression: 'none' }))
        .diffID;
      add = () => w.addLayer({ tarPath }, diffID);
    }
    if (prevSha === diffID && (await verifies(cache, diffID, log, id))) {
      log.info(`Reusing cache layer '${id}'`);
      await w.reuseLayer(diffID);
    } else {
      log.info(`Adding cache layer '${id}'`);
      await add();
    }
    return diffID;
  };
  const buildpacks: BuildpackLayersMetadata[] = [];
  for (const bp of i.group) {
    const dir = join(i.layers, escapeId(bp.id));
    if ((await containedDir(i.layers, dir)) === 'symlink') {
      log.warn(`Failed to cache layers of buildpack '${bp.id}': ${dir} is a symbolic link`);
      continue;
    }
    const prevBp = previous.buildpacks.find((b) => b.key === bp.id);
    const layers: Record<string, LayerMetadata> = {};
    let tomls: Awaited<ReturnType<typeof readLayerTomls>>;
    try {
      tomls = await readLayerTomls(dir);
    } catch (e) {
      log.warn(`Failed to cache layers of buildpack '${bp.id}': ${messageOf(e)}`);
      continue;
    }
    for (const [name, t] of tomls) {
      if (!t.types.cache) continue;
      const id = `${bp.id}:${name}`;
      // D-204: a layer reached through a symlink is not cached.
      if ((await containedDir(i.layers, join(dir, name))) !== 'dir') {
        log.warn(`Failed to cache layer '${id}' because it has no contents`);
        continue;
      }
      try {
        const sha = await store(id, join(dir, name), prevBp?.layers[name]?.sha);
        const data =
          Object.keys(t.metadata).length > 0 ? { data: t.metadata as Record<string, unknown> } : {};
        layers[name] = { sha, ...data, ...t.types };
      } catch (e) {
        log.warn(`Failed to cache layer '${id}': ${messageOf(e)}`);
      }
    }
    buildpacks.push({ key: bp.id, version: bp.version, layers });
  }
  let sbom: LayerShaRef | undefined;
  const sbomDir = join(i.layers, 'sbom', 'cache');
  if (i.sbom && (await containedDir(i.layers, sbomDir)) === 'dir') {
    try {
      sbom = { sha: await store(CACHE_SBOM_ID, sbomDir, previous.sbom?.sha) };
    } catch (e) {
      log.warn(`Failed to cache layer '${CACHE_SBOM_ID}': ${messageOf(e)}`);
    }
  }
  const metadata: CacheMetadata = { buildpacks, ...(sbom ? { sbom } : {}) };
  await w.setMetadata(metadata);
  await w.commit();
}
