import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cache, openCache } from '../cache/index.ts';
import {
  type Analyzed,
  type LifecycleMetadata,
  lifecycleMetadataFromToml,
  readAnalyzed,
  readBuildMetadata,
  readGroup,
  readProjectMetadata,
  readRun,
  readStack,
} from '../files/index.ts';
import { auth, daemon, type Image, type Layer, type remote } from '../image/index.ts';
import {
  checkBuildpackApi,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
  timed,
  toPhaseError,
} from '../platform/index.ts';
import { exportCache } from './export-cache.ts';
import { createdTime, entrypoint } from './export-config.ts';
import { readExtendedRun } from './export-extended.ts';
import { exportAppImage } from './export-image.ts';
import { checkOneRegistry, checkProcessTypes, readable, readImage } from './export-inputs.ts';
import { layerMaker } from './export-layers.ts';
import type { ExportOptions, ExportResult } from './export-options.ts';
import { type LayerProgress, layerProgress } from './export-progress.ts';
import { copyLifecycleSboms } from './export-sbom.ts';
import { type ImageStore, imageStore } from './image-store.ts';
import { type BuildUser, becomeBuildUser } from './privileges/index.ts';

export { EXEC_ENV_LABEL } from './export-image.ts';
export type { ExportOptions, ExportResult, LauncherInfo } from './export-options.ts';

/**
 * Opens the cache before anything is exported, as the reference's `initCache`: a cache that cannot be
 * opened (a bad reference, a registry refusing the read, a missing directory) fails the export with
 * exit 1 naming it (docs/decisions.md D-387); failures while writing it later only warn.
 */
async function openCacheFor(
  o: ExportOptions,
  keychain: auth.Keychain,
  log: Logger,
  uploads: remote.UploadObserver,
): Promise<Cache | undefined> {
  if (o.cacheImage === undefined && o.cacheDir === undefined) return undefined;
  if (!o.cacheImage) return openCache({ dir: o.cacheDir! });
  try {
    return await openCache({
      image: o.cacheImage,
      env: o.env,
      keychain,
      insecureRegistries: o.insecureRegistries ?? [],
      uploads,
      ...(platformFeatures.deletesReplacedCacheImage(o.platformApi) ? { deletePrevious: log } : {}),
    });
  } catch (e) {
    throw new LifecycleError(
      'ERR_CACHE_OPEN',
      'failed',
      `failed to create image cache: ${o.cacheImage}: ${messageOf(e)}`,
      { cause: e },
    );
  }
}

/**
 * The exporter (platform.md "exporter"; buildpack.md "Phase #6: Export"; docs/reference-behaviour.md §6):
 * builds the app image on the run image from analyzed.toml — buildpack launch layers (new, changed, or
 * reused from the previous image), the launch SBOM layer, app slice layers, the launcher, the config and
 * the process types — with its labels, env, working dir and entrypoint; saves it under every name;
 * writes report.toml; then the cache. Exit codes: 3 bad inputs, 12 buildpack API, 62 anything else.
 */
export async function exportImage(o: ExportOptions, log: Logger): Promise<ExportResult> {
  if (o.images.length === 0)
    throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', 'at least one image argument is required');
  if (!o.daemon && !o.layout) checkOneRegistry(o.images);
  const keychain = auth.memoKeychain(o.keychain ?? auth.defaultKeychain(o.env));
  const progress = layerProgress(log);
  const storeOpts = {
    keychain,
    daemon: o.daemon,
    layout: o.layout,
    ...(o.layoutDir === undefined ? {} : { layoutDir: o.layoutDir }),
    env: o.env,
    dockerHost: o.dockerHost,
    insecureRegistries: o.insecureRegistries ?? [],
    log,
    uploads: progress.uploads,
  };
  let store = imageStore({ ...storeOpts, dockerConnect: o.dockerConnect });
  let user: BuildUser | undefined;
  if (o.dropPrivileges) {
    await store.primeCredentials([...o.images, ...(o.cacheImage ? [o.cacheImage] : [])]);
    // D-200: become the build user before reading anything a buildpack wrote (group.toml and
    // analyzed.toml live in <layers> too); with -daemon the socket is reached through the root
    // connector (D-202), not by keeping root's rights.
    user = await becomeBuildUser(
      {
        uid: o.uid ?? 0,
        gid: o.gid ?? 0,
        dirs: [o.layers, o.cacheDir, o.launchCache],
        ...(o.daemon ? { dockerHost: o.dockerHost || daemon.DEFAULT_DOCKER_HOST } : {}),
      },
      log,
    );
    if (user.dockerConnect) store = imageStore({ ...storeOpts, dockerConnect: user.dockerConnect });
  }
  try {
    return await exportAsUser(o, store, keychain, log, progress);
  } finally {
    user?.close();
  }
}

/** The export proper, once the phase runs as the build user (see {@link exportImage}). */
async function exportAsUser(
  o: ExportOptions,
  store: ImageStore,
  keychain: auth.Keychain,
  log: Logger,
  progress: LayerProgress,
): Promise<ExportResult> {
  const group = await readGroup(o.group);
  for (const el of group.group) checkBuildpackApi(el.api, `buildpack '${el.id}@${el.version}' in group.toml`);
  const analyzed: Analyzed = (await readAnalyzed(o.analyzed)) ?? {};
  const runRef = analyzed.runImage?.reference ?? '';
  if (runRef === '')
    throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', 'run image not found in analyzed metadata');
  const cache = await openCacheFor(o, keychain, log, progress.uploads);
  // D-413: the reference's timer starts here, once group.toml and analyzed.toml are read and the cache is
  // open; a run refused on those prints no Timer line.
  return timed(log, 'Exporter', async () => {
    const uid = o.uid ?? 0;
    const gid = o.gid ?? 0;
    let tmp: string | undefined;
    try {
      const meta = await readBuildMetadata(join(o.layers, 'config', 'metadata.toml'));
      checkProcessTypes(meta, log);
      const ep = entrypoint(meta, o.processType, log);
      const project = await readProjectMetadata(o.projectMetadata);
      // platform.md "run.toml" from 0.12; stack.toml before (platform-0.11.md "exporter").
      const runToml = platformFeatures.runToml(o.platformApi);
      const run = runToml ? await readRun(o.run) : await readStack(o.stack ?? '/cnb/stack.toml');
      await copyLifecycleSboms(o.launcherSbom, o.layers, o.platformApi, log);
      tmp = await mkdtemp(join(o.tmpDir ?? tmpdir(), 'cnb-export-'));

      // D-430: the run image is read while the layers are made; it is needed only for the config. A
      // failed read stops the layers and is the error reported, and no cache is written, as before.
      const runImage = readImage(store, runRef, 'run image');
      const stop = new AbortController();
      runImage.catch((e) => stop.abort(e));
      // platform.md "exporter": an extended run image's config and extension layers are the base.
      const extended = analyzed.runImage?.extend
        ? await readExtendedRun(o.extended ?? join(o.layers, 'extended'), log)
        : undefined;
      for (const l of extended?.layers ?? []) log.info(`Adding extension layer ${l.id}`);
      const prevRef = analyzed.previousImage?.reference ?? '';
      let previous: Image | undefined;
      if (prevRef !== '') {
        previous = await store.read(readable(store, prevRef));
        if (previous) log.info(`Reusing layers from image '${prevRef}'`);
      }
      const previousMeta: LifecycleMetadata = previous ? lifecycleMetadataFromToml(analyzed.metadata) : {};
      const previousLayers = new Map<string, Layer>();
      for (const l of previous?.layers ?? []) previousLayers.set(l.diffID, l);
      const early = store.early?.(o.images[0] as string);
      const maker = layerMaker({
        tmpDir: tmp,
        previous: previousLayers,
        ...(early ? { early } : {}),
        progress,
        signal: stop.signal,
        ...(o.threads === undefined ? {} : { threads: o.threads }),
      });
      const epoch = platformFeatures.sourceDateEpoch(o.platformApi) ? o.sourceDateEpoch : undefined;
      const created = createdTime(epoch, log);

      const cacheTmp = tmp;
      const doCache = async () => {
        if (cache === undefined) return;
        // No cache is exported for a run image that cannot be read: the export fails with its error.
        if (
          !(await runImage.then(
            () => true,
            () => false,
          ))
        )
          return;
        try {
          await timed(log, 'Cache', () =>
            exportCache(
              {
                cache,
                group: group.group,
                layers: o.layers,
                uid,
                gid,
                maker,
                tmpDir: cacheTmp,
                sbom: platformFeatures.sbomFiles(o.platformApi),
              },
              log,
            ),
          );
        } catch (e) {
          log.warn(`Failed to export cache: ${messageOf(e)}`);
        }
      };
      const doImage = async () => {
        try {
          return await imageExport();
        } finally {
          maker.abandon();
        }
      };
      const imageExport = () =>
        exportAppImage(
          {
            o,
            store,
            group: group.group,
            meta,
            project,
            entrypoint: ep,
            run,
            runToml,
            analyzed,
            runRef,
            runImage,
            extended,
            prevRef,
            previousMeta,
            previousLayers,
            maker,
            created,
          },
          log,
        );
      // D-386: the image and the cache at once whenever there is more than one core (or -parallel).
      if (o.parallel || availableParallelism() > 1) {
        const [image, cache] = await Promise.allSettled([doImage(), doCache()]);
        if (cache.status === 'rejected') log.warn(`Failed to export cache: ${messageOf(cache.reason)}`);
        if (image.status === 'rejected') throw image.reason;
        return image.value;
      }
      const result = await doImage();
      await doCache();
      return result;
    } catch (e) {
      throw toPhaseError(e, 'export', 'failed to export');
    } finally {
      if (tmp !== undefined) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    }
  });
}
