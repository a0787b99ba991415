import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cache, openDirCache } from '../cache/index.ts';
import { type Layer, MediaType } from '../image/index.ts';
import { verifyDigest } from '../layer/index.ts';
import { type Logger, messageOf } from '../platform/index.ts';
import type { PlannedLayer } from './export-plan.ts';

/**
 * The launch cache (`-launch-cache`, daemon exports only; docs/reference-behaviour.md §6 "Save and report"):
 * a directory cache of the app image's layers, so that a layer reused from the previous image is read
 * from disk instead of from the daemon (`docker save`) when the daemon needs its bytes. Every added layer
 * is stored; a reused layer is kept when the launch cache has it. Failures are warnings.
 */
export interface LaunchCache {
  /** The layers with reused ones backed by the launch cache where it has them. */
  substitute(layers: readonly PlannedLayer[]): Promise<PlannedLayer[]>;
  /** Stores the image's layers and commits. */
  save(layers: readonly PlannedLayer[]): Promise<void>;
}

/** A reused layer read from the launch cache's `committed/<diffID>.tar` (verified while read). */
async function cachedLayer(dir: string, diffID: string): Promise<Layer | undefined> {
  const path = join(dir, 'committed', `${diffID}.tar`);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  const open = async (signal?: AbortSignal) =>
    verifyDigest(
      createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) }),
      diffID,
      size,
      'launch cache layer',
    );
  return {
    digest: diffID,
    diffID,
    size,
    mediaType: MediaType.ociLayer,
    compressed: open,
    uncompressed: open,
  };
}

/** Opens the launch cache at `dir`; undefined (with a warning) when it cannot be used. */
export async function openLaunchCache(dir: string, log: Logger): Promise<LaunchCache | undefined> {
  let cache: Cache;
  try {
    cache = await openDirCache(dir);
  } catch (e) {
    log.warn(`Ignoring launch cache: ${messageOf(e)}`);
    return undefined;
  }
  return {
    async substitute(layers) {
      return Promise.all(
        layers.map(async (l) => {
          if (!l.reused) return l;
          const c = await cachedLayer(dir, l.diffID);
          if (c === undefined) return l;
          log.debug(`Using layer ${l.diffID} from the launch cache`);
          return { ...l, layer: c };
        }),
      );
    },
    async save(layers) {
      try {
        const w = cache.startWrite();
        for (const l of layers) {
          if (!l.reused) await w.addLayer(l.layer, l.diffID);
          else if (await cache.has(l.diffID)) await w.reuseLayer(l.diffID);
        }
        await w.setMetadata({ buildpacks: [] });
        await w.commit();
      } catch (e) {
        log.warn(`Failed to write the launch cache ${dir}: ${messageOf(e)}`);
      }
    },
  };
}
