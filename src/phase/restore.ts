import { join } from 'node:path';
import { escapeId } from '../buildpack/index.ts';
import {
  type Cache,
  type CacheMetadata,
  cachedBuildpack,
  EMPTY_CACHE_METADATA,
  openCache,
  planLayerMetadata,
  restoreLayerData,
  restoreSboms,
} from '../cache/index.ts';
import {
  type Analyzed,
  type Group,
  type LifecycleMetadata,
  lifecycleMetadataFromToml,
  readAnalyzed,
  readGroup,
  readRun,
  writeAnalyzed,
  writeLayerMetadata,
  writeStoreToml,
} from '../files/index.ts';
import { auth, parseReference } from '../image/index.ts';
import {
  type ApiVersion,
  checkBuildpackApi,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
  timed,
  toPhaseError,
} from '../platform/index.ts';
import { type ImageStoreInputs, imageStore } from './image-store.ts';
import { becomeBuildUser, isRoot } from './privileges/index.ts';
import { resolveBuildImage, saveToKanikoCache } from './restore-build-image.ts';

import { runFileContains, targetFromConfig } from './run-image.ts';

/** Inputs of the restorer (platform.md "restorer" Inputs); every path absolute. */
export interface RestoreOptions extends ImageStoreInputs {
  readonly layers: string;
  readonly group: string;
  readonly analyzed: string;
  readonly cacheDir?: string;
  readonly cacheImage?: string;
  /** `-skip-layers` / CNB_SKIP_LAYERS or CNB_SKIP_RESTORE: only store.toml is restored. */
  readonly skipLayers: boolean;
  /**
   * `-build-image` (Platform API 0.10+): resolved to a digest, recorded as `[build-image]` in
   * analyzed.toml, and its manifest and config saved under `<kanikoDir>/cache/base/<digest>`.
   */
  readonly buildImage?: string;
  /**
   * `<kaniko>`, where base image metadata is saved for the extender (the CLI passes `/kaniko`, as the
   * reference). Unset, or a directory that does not exist: nothing is saved (D-274).
   */
  readonly kanikoDir?: string;
  /** Build user (CNB_USER_ID/CNB_GROUP_ID): when running as root, directories are handed over, then privileges dropped. */
  readonly uid?: number;
  readonly gid?: number;
  readonly platformApi: ApiVersion;
  /** `-run` (run.toml; Platform API 0.14+): the selected run image is checked against it. */
  readonly run?: string;
  /**
   * Running as root: hand `<layers>` and `<cache-dir>` to `uid:gid` and drop to that user first
   * (docs/reference-behaviour.md §0.8). The CLI sets it; a library caller that already dropped leaves it unset.
   */
  readonly dropPrivileges?: boolean;
}

/** Reads analyzed.toml; a missing or unusable file is a warning and no data (docs/reference-behaviour.md §3). */
async function readAnalyzedOrWarn(path: string, log: Logger): Promise<Analyzed | undefined> {
  try {
    const a = await readAnalyzed(path);
    if (a === undefined) log.warn(`No analyzed metadata found at path "${path}"`);
    return a;
  } catch (e) {
    log.warn(`Not using analyzed data, usable file not found: ${messageOf(e)}`);
    return undefined;
  }
}

/**
 * platform.md `restorer`: "MUST resolve run-image.reference to a digest reference … MUST populate
 * run-image.target … if not present". As the reference at Platform API 0.12, this is done when the group
 * has image extensions or the run image is to be extended, and the target is not yet populated (the
 * analyzer already did it otherwise; docs/reference-behaviour.md §3).
 */
async function completeRunImage(
  analyzed: Analyzed,
  group: Group,
  o: RestoreOptions,
  keychain: auth.Keychain,
  log: Logger,
): Promise<Analyzed> {
  const run = analyzed.runImage;
  // The restorer records the run image's digest from 0.10, its target from 0.12 (platform-0.10.md,
  // platform.md `restorer`); before, analyzed.toml is left as the analyzer wrote it.
  if (run === undefined || !platformFeatures.imageExtensions(o.platformApi)) return analyzed;
  const extend = run.extend === true;
  if (!extend && (group.groupExtensions.length === 0 || (run.target?.os ?? '') !== '')) return analyzed;
  const name = run.image || run.reference;
  const store = imageStore({
    daemon: !extend && o.daemon === true,
    layout: !extend && o.layout === true,
    ...(o.layoutDir === undefined ? {} : { layoutDir: o.layoutDir }),
    env: o.env,
    dockerHost: o.dockerHost,
    insecureRegistries: o.insecureRegistries ?? [],
    keychain,
    log,
  });
  log.debug(`Updating run image info in analyzed metadata for ${name}`);
  let img: Awaited<ReturnType<typeof store.read>>;
  try {
    img = await store.read(name);
  } catch (e) {
    throw new LifecycleError('ERR_RUN_IMAGE', 'failed', `failed to get run image ${name}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  if (img === undefined)
    throw new LifecycleError('ERR_RUN_IMAGE', 'failed', `failed to get run image ${name}: image not found`);
  // A run image to extend: the extender reads its metadata from the kaniko cache, as the reference.
  if (extend) await saveToKanikoCache(o.kanikoDir, img, log);

  const reference = store.identifier(name, img);
  const { target: _old, ...rest } = run;
  return {
    ...analyzed,
    runImage: platformFeatures.targetData(o.platformApi)
      ? { ...run, reference, target: targetFromConfig(img.config) }
      : { ...rest, reference },
  };
}

/**
 * platform-0.14.md `restorer`: the run image the analyzer selected must still be readable when run.toml
 * lists it (the reference keeps an already-selected mirror rather than resolving again, D-305).
 * @throws LifecycleError exit 1 `selected run image '<image>' is not accessible`.
 */
async function checkSelectedRunImage(
  analyzed: Analyzed,
  o: RestoreOptions,
  keychain: auth.Keychain,
  log: Logger,
): Promise<void> {
  const name = analyzed.runImage?.image ?? '';
  if (!platformFeatures.restorerResolvesRunImage(o.platformApi) || name === '' || o.daemon || o.layout)
    return;
  const run = await readRun(o.run ?? '/cnb/run.toml');
  if (run === undefined) log.info(`No run metadata found at path "${o.run ?? '/cnb/run.toml'}"`);
  if (!runFileContains(run, name)) return;
  const store = imageStore({ env: o.env, insecureRegistries: o.insecureRegistries ?? [], keychain, log });
  if (!(await store.canRead(name)))
    throw new LifecycleError(
      'ERR_RUN_IMAGE',
      'failed',
      `selected run image '${name}' is not accessible; check the registry credentials (CNB_REGISTRY_AUTH or docker config.json) or run the analyzer again`,
    );
}

async function openRestoreCache(
  o: RestoreOptions,
  keychain: auth.Keychain,
  log: Logger,
): Promise<Cache | undefined> {
  if (o.cacheImage) {
    try {
      return await openCache({
        image: o.cacheImage,
        env: o.env,
        keychain,
        insecureRegistries: o.insecureRegistries ?? [],
      });
    } catch (e) {
      // platform.md `restorer` "Outputs": a cache image the registry cannot serve (after the retries) is
      // a restoration error, 40-49 (D-211).
      throw toPhaseError(e, 'restore', 'failed to restore');
    }
  }
  if (o.cacheDir) return openCache({ dir: o.cacheDir });
  log.warn('No cached data will be used, no cache specified.');
  return undefined;
}

/**
 * Writes store.toml for every group buildpack with persistent metadata in the app image metadata (even
 * with skip-layers), then, unless skip-layers, the `<layer>.toml` files chosen by the Layer Types rules;
 * returns the SHA of each restored layer by buildpack ID.
 */
async function restoreMetadata(
  o: RestoreOptions,
  group: Group,
  app: LifecycleMetadata,
  cacheMeta: CacheMetadata,
  log: Logger,
): Promise<Map<string, Map<string, string>>> {
  const shas = new Map<string, Map<string, string>>();
  const appBp = (id: string) => app.buildpacks?.find((b) => b.key === id);
  for (const bp of group.group) {
    const store = appBp(bp.id)?.store;
    if (store !== undefined) await writeStoreToml(join(o.layers, escapeId(bp.id), 'store.toml'), store);
  }
  if (o.skipLayers) {
    log.info('Skipping buildpack layer analysis');
    return shas;
  }
  for (const bp of group.group) {
    const plan = planLayerMetadata(appBp(bp.id)?.layers ?? {}, cachedBuildpack(cacheMeta, bp.id).layers, {
      launchFromCache: platformFeatures.launchLayerMetadataFromCache(o.platformApi),
    });
    for (const s of plan.skipped)
      log.debug(`Not restoring metadata for "${bp.id}:${s.name}" from ${s.from}, ${s.reason}`);
    const m = new Map<string, string>();
    for (const r of plan.restore) {
      log.info(`Restoring metadata for "${bp.id}:${r.name}" from ${r.from}`);
      await writeLayerMetadata(join(o.layers, escapeId(bp.id), `${r.name}.toml`), { ...r.data });
      m.set(r.name, r.sha);
    }
    shas.set(bp.id, m);
  }
  return shas;
}

/**
 * The restorer (platform.md `restorer`, "Layer Restoration"; buildpack.md "Layer Types";
 * docs/reference-behaviour.md §3): checks group buildpack APIs (exit 12), completes the run image in
 * analyzed.toml when image extensions need it and rewrites the file, writes store.toml files, restores
 * layer metadata from the app image and cache metadata, layer contents from the cache (`-cache-image`
 * wins over `-cache-dir`) and layer SBOMs. Exit codes: 1 for unreadable inputs or an unusable cache,
 * 12 for buildpack APIs, 42 for restore errors. Damaged cache entries are warnings.
 */
export async function restore(o: RestoreOptions, log: Logger): Promise<void> {
  const keychain = auth.memoKeychain(o.keychain ?? auth.defaultKeychain(o.env));
  const buildImage =
    o.buildImage && platformFeatures.imageExtensions(o.platformApi) ? o.buildImage : undefined;
  for (const ref of [o.cacheImage, buildImage]) if (ref) await keychain.resolve(parseReference(ref).registry);
  // D-200: hand the dirs over and become the build user before reading anything a buildpack wrote.
  if (o.dropPrivileges)
    await becomeBuildUser({ uid: o.uid, gid: o.gid, dirs: [o.layers, o.cacheDir, o.kanikoDir] }, log);

  const group = await readGroup(o.group);
  for (const el of group.group) checkBuildpackApi(el.api, `buildpack '${el.id}@${el.version}' in group.toml`);

  let analyzed = await readAnalyzedOrWarn(o.analyzed, log);
  if (analyzed !== undefined) {
    if (buildImage !== undefined) {
      const opts = { env: o.env, keychain, insecureRegistries: o.insecureRegistries ?? [] };
      const resolved = await resolveBuildImage(buildImage, { ...opts, kanikoDir: o.kanikoDir }, log);
      analyzed = { ...analyzed, buildImage: resolved };
    }

    await checkSelectedRunImage(analyzed, o, keychain, log);
    analyzed = await completeRunImage(analyzed, group, o, keychain, log);
    await writeAnalyzed(o.analyzed, analyzed);
  }

  const cache = await openRestoreCache(o, keychain, log);
  // D-413: timed from here, as the reference's Restore (inputs read, analyzed.toml done, cache open).
  await timed(log, 'Restorer', async () => {
    try {
      let cacheMeta = EMPTY_CACHE_METADATA;
      if (cache !== undefined) {
        if (!cache.exists()) log.info('Layer cache not found');
        cacheMeta = await cache.metadata();
      }
      const app = lifecycleMetadataFromToml(analyzed?.metadata);
      const shas = await restoreMetadata(o, group, app, cacheMeta, log);
      if (o.skipLayers) return;
      const buildpacks = group.group.map((b) => ({ id: b.id, dir: escapeId(b.id) }));
      const chown = isRoot();
      await restoreLayerData({
        layers: o.layers,
        buildpacks,
        cache,
        cacheMetadata: cacheMeta,
        restoredShas: shas,
        chown,
        log,
      });
      // SBOM files exist from Platform API 0.8 (platform-0.8.md "restorer").
      if (platformFeatures.sbomFiles(o.platformApi))
        await restoreSboms({ layers: o.layers, buildpacks, cache, cacheMetadata: cacheMeta, chown, log });
    } catch (e) {
      throw toPhaseError(e, 'restore', 'failed to restore');
    }
  });
}
