import { randomBytes } from 'node:crypto';
import { copyFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractLayer } from '../layer/index.ts';
import { isLifecycleError, type Logger, messageOf, runLimited } from '../platform/index.ts';
import { type CacheMetadata, cachedBuildpack } from './cache-metadata.ts';
import { dataDecision, validLayerName } from './restore-plan.ts';
import type { Cache } from './types.ts';

/**
 * Restoring layer contents and SBOM files from a cache into `<layers>` (docs/reference-behaviour.md §3
 * "Layer data restoration", "SBOM restoration"; buildpack.md "Layer Types").
 */

/** A buildpack of the group: its ID and the escaped directory name under `<layers>`. */
export interface RestoreBuildpack {
  readonly id: string;
  readonly dir: string;
}

export interface RestoreLayersOptions {
  readonly layers: string;
  readonly buildpacks: readonly RestoreBuildpack[];
  readonly cache: Cache | undefined;
  readonly cacheMetadata: CacheMetadata;
  /** SHA of each `<layer>.toml` written in this run, by `<bp id>` then layer name. */
  readonly restoredShas: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Restore file owners from the tar (when running as root). */
  readonly chown: boolean;
  /** Layers extracted at the same time. Default 4. */
  readonly concurrency?: number;
  readonly log: Logger;
}

/**
 * Cache damage: a missing or corrupt layer, or a tar that does not belong where it would go. Like the
 * reference's ReadErr these cost a rebuild of the layer (warning), never the build.
 */
const READ_ERRORS = new Set([
  'ERR_CACHE_LAYER_MISSING',
  'ERR_CACHE_READ',
  'ERR_DIGEST_MISMATCH',
  'ERR_SIZE_MISMATCH',
  'ERR_LAYER_UNSAFE_ENTRY',
  'ERR_LAYER_EXTRACT',
]);

/** True when `e` is cache damage rather than a failure of this machine. */
export function isCacheReadError(e: unknown): boolean {
  return isLifecycleError(e) && READ_ERRORS.has(e.code);
}

async function removeLayer(bpDir: string, name: string): Promise<void> {
  for (const p of [name, `${name}.toml`, `${name}.sha`])
    await rm(join(bpDir, p), { recursive: true, force: true });
}

/**
 * Runs `extract` into a fresh directory beside `<bpDir>/<name>` and renames it onto the layer when it
 * succeeds (replacing what was there); on failure the temporary directory is removed and nothing of the
 * layer's contents is left (D-230).
 */
async function extractBeside(
  bpDir: string,
  name: string,
  extract: (tmp: string) => Promise<unknown>,
): Promise<void> {
  const target = join(bpDir, name);
  const tmp = join(bpDir, `.${name}.restoring-${randomBytes(6).toString('hex')}`);
  try {
    await extract(tmp);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
    throw e;
  }
}

/** Names of the layers in a buildpack directory: `<name>.toml` files and directories. */
async function layerNames(bpDir: string): Promise<string[]> {
  const entries = await readdir(bpDir, { withFileTypes: true }).catch(() => []);
  const names = new Set<string>();
  for (const e of entries) {
    if (e.isDirectory()) names.add(e.name);
    else if (e.name.endsWith('.toml')) names.add(e.name.slice(0, -'.toml'.length));
  }
  return [...names].filter(validLayerName).sort();
}

/**
 * For each group buildpack, every layer in `<layers>/<bp>/` that the cache marks cache=true: extract
 * the cached tar into `<layers>/<bp>/<layer>/` when the SHA restored in this run matches the cache's
 * (verified against the diffID while extracting; entries outside the layer directory are refused), else
 * remove the layer (`Removing "<bp>:<layer>", wrong sha` / `not in cache`). Cache damage removes the
 * layer with a warning `Skipping restore for layer …`; other failures are thrown, after removing every
 * layer (contents and `<layer>.toml`) whose data was not restored. Each layer is extracted beside its
 * target and renamed into place, so a layer directory is either complete or absent (D-230).
 */
export async function restoreLayerData(o: RestoreLayersOptions): Promise<void> {
  const tasks: (() => Promise<void>)[] = [];
  const pending: { bpDir: string; name: string }[] = [];
  const done = new Set<string>();
  for (const bp of o.buildpacks) {
    const cached = cachedBuildpack(o.cacheMetadata, bp.id).layers;
    const bpDir = join(o.layers, bp.dir);
    for (const name of await layerNames(bpDir)) {
      const c = cached[name];
      if (c === undefined || !c.cache) continue;
      const id = `${bp.id}:${name}`;
      const restored = o.restoredShas.get(bp.id)?.get(name);
      const decision = o.cache === undefined ? 'not in cache' : dataDecision(restored, c);
      if (decision !== 'restore') {
        o.log.info(`Removing "${id}", ${decision}`);
        if (decision === 'wrong sha') o.log.debug(`Layer sha: "${restored ?? ''}", cache sha: "${c.sha}"`);
        await removeLayer(bpDir, name);
        continue;
      }
      const cache = o.cache!;
      o.log.info(`Restoring data for "${id}" from cache`);
      pending.push({ bpDir, name });
      tasks.push(async () => {
        try {
          await extractBeside(bpDir, name, (tmp) =>
            cache.layer(c.sha).then((tar) =>
              extractLayer(tar, tmp, {
                stripPrefix: join(bpDir, name),
                compression: 'none',
                chown: o.chown,
              }),
            ),
          );
        } catch (e) {
          if (!isCacheReadError(e)) throw e;
          o.log.warn(`Skipping restore for layer ${id}: ${messageOf(e)}`);
          await removeLayer(bpDir, name);
        }
        done.add(join(bpDir, name));
      });
    }
  }
  try {
    await runLimited(tasks, o.concurrency ?? 4);
  } catch (e) {
    // A failed restore leaves no layer half there: every layer whose data did not come back loses its
    // metadata too, so a later builder does not take it as restored (D-230).
    for (const l of pending) if (!done.has(join(l.bpDir, l.name))) await removeLayer(l.bpDir, l.name);
    throw e;
  }
}

const SBOM_FILE = /^sbom\..+json$/;

/**
 * SBOM restoration (PA ≥ 0.8): extract the cache's SBOM layer (`sbom.sha`) into `<layers>/sbom`, then
 * copy `<layers>/sbom/{cache,launch}/<bp>/<layer>/sbom.<ext>.json` to `<layers>/<bp>/<layer>.sbom.<ext>.json`
 * for group buildpacks whose `<layers>/<bp>` exists, and delete `<layers>/sbom`. Buildpack-level SBOMs
 * are not restored (buildpack.md "Layer Types", footnote).
 */
export async function restoreSboms(
  o: Omit<RestoreLayersOptions, 'restoredShas' | 'concurrency'>,
): Promise<void> {
  const sbomDir = join(o.layers, 'sbom');
  try {
    const sha = o.cacheMetadata.sbom?.sha;
    if (o.cache !== undefined && sha !== undefined && sha !== '') {
      o.log.info('Restoring data for SBOM from cache');
      try {
        await extractLayer(await o.cache.layer(sha), sbomDir, {
          stripPrefix: sbomDir,
          compression: 'none',
          chown: o.chown,
        });
      } catch (e) {
        if (!isCacheReadError(e)) throw e;
        o.log.warn(`Skipping restore for SBOM layer: ${messageOf(e)}`);
        await rm(join(sbomDir, 'cache'), { recursive: true, force: true });
      }
    }
    const dirs = new Map(o.buildpacks.map((b) => [b.dir, b]));
    for (const kind of ['cache', 'launch']) {
      for (const bpDirName of await readdir(join(sbomDir, kind)).catch(() => [] as string[])) {
        if (!dirs.has(bpDirName)) continue;
        const dest = join(o.layers, bpDirName);
        if ((await readdir(dest).catch(() => undefined)) === undefined) continue;
        for (const layer of await readdir(join(sbomDir, kind, bpDirName), { withFileTypes: true }).catch(
          () => [],
        )) {
          if (!layer.isDirectory() || !validLayerName(layer.name)) continue;
          const src = join(sbomDir, kind, bpDirName, layer.name);
          for (const f of await readdir(src, { withFileTypes: true })) {
            if (f.isFile() && SBOM_FILE.test(f.name))
              await copyFile(join(src, f.name), join(dest, `${layer.name}.${f.name}`));
          }
        }
      }
    }
  } finally {
    await rm(sbomDir, { recursive: true, force: true });
  }
}
