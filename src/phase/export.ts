import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cache, openCache } from '../cache/index.ts';
import {
  type Analyzed,
  type LifecycleMetadata,
  lifecycleMetadataFromToml,
  type Report,
  readAnalyzed,
  readBuildMetadata,
  readGroup,
  readProjectMetadata,
  readRun,
  readStack,
} from '../files/index.ts';
import { auth, daemon, type Image, type Layer, mutate } from '../image/index.ts';
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
import { exportCache } from './export-cache.ts';
import {
  configChanges,
  createdTime,
  entrypoint,
  type LauncherInfo,
  runImageForLabel,
} from './export-config.ts';
import { readExtendedRun } from './export-extended.ts';
import { checkOneRegistry, checkProcessTypes, readable, readImage } from './export-inputs.ts';
import { openLaunchCache } from './export-launch-cache.ts';
import { layerMaker } from './export-layers.ts';
import { checkConfigSize } from './export-limits.ts';
import { planLayers } from './export-plan.ts';
import { layerProgress } from './export-progress.ts';
import { saveImage, withBuildReport, writeExportReport } from './export-report.ts';
import { copyLifecycleSboms } from './export-sbom.ts';
import { REBASABLE_LABEL } from './extend.ts';
import { type ImageStore, type ImageStoreInputs, imageStore } from './image-store.ts';
import { type BuildUser, becomeBuildUser } from './privileges/index.ts';

/** Inputs of the exporter (platform.md "exporter" Inputs); every path absolute. */
export type { LauncherInfo };

export interface ExportOptions extends ImageStoreInputs {
  /** The output image first, then extra tags. */
  readonly images: readonly string[];
  readonly analyzed: string;
  readonly group: string;
  readonly layers: string;
  readonly app: string;
  readonly launcher: string;
  /** `-launcher-sbom` (default `/cnb/lifecycle`). */
  readonly launcherSbom: string;
  readonly projectMetadata: string;
  readonly report: string;
  /** `-run` (run.toml, Platform API 0.12+): the run image's `image` and `mirrors` for the label. */
  readonly run: string;
  /** `-stack` (stack.toml, before 0.12): `[run-image]` for the label instead of run.toml. */
  readonly stack?: string;
  /** SOURCE_DATE_EPOCH as given (the CLI edge reads it): the image creation time, from Platform API 0.9. */
  readonly sourceDateEpoch?: string | undefined;
  /** CNB_EXEC_ENV (the CLI edge reads it): recorded as `io.buildpacks.exec-env` from Platform API 0.15. */
  readonly execEnv?: string | undefined;
  readonly processType?: string;
  readonly cacheDir?: string;
  readonly cacheImage?: string;
  /** Daemon only: a directory cache of the image's layers (reused layers are read from it, not the daemon). */
  readonly launchCache?: string;
  readonly daemon: boolean;
  readonly layout: boolean;
  /** Export the image and the cache concurrently. */
  readonly parallel: boolean;
  /** Owner of the files of generated layers (CNB_USER_ID/CNB_GROUP_ID; unset = 0, as the reference). */
  readonly uid?: number;
  readonly gid?: number;
  readonly platformApi: ApiVersion;
  /** Recorded in `io.buildpacks.build.metadata` `launcher`. */
  readonly launcherInfo?: LauncherInfo;
  /** When running as root: hand the layers/cache dirs to uid:gid and drop to that user (the CLI sets it). */
  readonly dropPrivileges?: boolean;
  /** `<extended>`: the extended run image when `run-image.extend = true` (default `<layers>/extended`). */
  readonly extended?: string;
  /** Temp dir for layer blobs (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** Compression threads per layer (default: available parallelism). */
  readonly threads?: number;
}

/** What the exporter did. */
export interface ExportResult {
  readonly report: Report;
  /** The image written (identical under every tag). */
  readonly image: Image;
  /** Registry `<repo>@<digest>`, daemon image ID, or layout `<path>@<digest>`. */
  readonly identifier: string;
  /** Layers made from local files and layers reused from the previous image. */
  readonly layers: { readonly added: number; readonly reused: number };
}

/** The execution environment label (the reference's `io.buildpacks.exec-env`). */
export const EXEC_ENV_LABEL = 'io.buildpacks.exec-env';

/**
 * The base image's history as the reference's imgutil keeps it (D-311): entries of empty layers dropped,
 * all `{created}` only when the rest does not match the layers one to one, each stamped with the
 * creation time.
 */
function normalizedBase(base: Image, created: string): Image {
  const history = base.config.history;
  if (history === undefined) return base;
  const layered = history.filter((h) => !h.empty_layer);
  const kept = layered.length === base.layers.length ? layered : base.layers.map(() => ({}));
  return { ...base, config: { ...base.config, history: kept.map((h) => ({ ...h, created })) } };
}

async function openCacheFor(
  o: ExportOptions,
  keychain: auth.Keychain,
  log: Logger,
): Promise<Cache | undefined> {
  if (o.cacheImage === undefined && o.cacheDir === undefined) return undefined;
  try {
    if (o.cacheImage)
      return await openCache({
        image: o.cacheImage,
        env: o.env,
        keychain,
        insecureRegistries: o.insecureRegistries ?? [],
        ...(platformFeatures.deletesReplacedCacheImage(o.platformApi) ? { deletePrevious: log } : {}),
      });
    return await openCache({ dir: o.cacheDir! });
  } catch (e) {
    log.warn(`Failed to export cache: ${messageOf(e)}`);
    return undefined;
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
  const storeOpts = {
    keychain,
    daemon: o.daemon,
    layout: o.layout,
    ...(o.layoutDir === undefined ? {} : { layoutDir: o.layoutDir }),
    env: o.env,
    dockerHost: o.dockerHost,
    insecureRegistries: o.insecureRegistries ?? [],
    log,
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
    return await exportAsUser(o, store, keychain, log);
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
): Promise<ExportResult> {
  const group = await readGroup(o.group);
  for (const el of group.group) checkBuildpackApi(el.api, `buildpack '${el.id}@${el.version}' in group.toml`);
  const analyzed: Analyzed = (await readAnalyzed(o.analyzed)) ?? {};
  const runRef = analyzed.runImage?.reference ?? '';
  if (runRef === '')
    throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', 'run image not found in analyzed metadata');
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

    const runImage = await readImage(store, runRef, 'run image');
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
      progress: layerProgress(log),
      ...(o.threads === undefined ? {} : { threads: o.threads }),
    });
    const epoch = platformFeatures.sourceDateEpoch(o.platformApi) ? o.sourceDateEpoch : undefined;
    const created = createdTime(epoch, log);

    const cacheTmp = tmp;
    const doCache = async () => {
      const cache = await openCacheFor(o, keychain, log);
      if (cache === undefined) return;
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
    const imageExport = async () => {
      const plan = await planLayers(
        {
          group: group.group,
          meta,
          layers: o.layers,
          app: o.app,
          launcher: o.launcher,
          uid,
          gid,
          previous: previousMeta,
          previousLayers,
          maker,
          concurrency: 2,
          sbom: platformFeatures.sbomFiles(o.platformApi),
        },
        log,
      );
      const diffIDs = runImage.config.rootfs.diff_ids;
      const label = runImageForLabel(run, runToml ? analyzed.runImage?.image : undefined);
      const lifecycle: LifecycleMetadata = {
        ...plan.metadata,
        // `runImage.image` / `mirrors` from 0.12 (platform.md "Labels"); `stack.runImage` at every version.
        runImage: {
          topLayer: diffIDs[diffIDs.length - 1] ?? '',
          reference: store.identifier(readable(store, runRef), runImage),
          ...(runToml ? label : {}),
        },
        stack: {
          runImage: { image: label.image ?? '', ...(label.mirrors ? { mirrors: label.mirrors } : {}) },
        },
      };
      const base = extended ? { ...runImage.config, config: extended.config } : runImage.config;
      const changes = configChanges(
        {
          base,
          layers: o.layers,
          app: o.app,
          platformApi: o.platformApi,
          meta,
          lifecycle,
          project,
          launcher: o.launcherInfo ?? { version: '', repository: '', commit: '' },
          entrypoint: ep,
        },
        log,
      );
      // platform-0.15.md "Execution Environment": the reference records it as its own label (D-308).
      const execEnv = o.execEnv ?? 'production';
      const execEnvLabel = platformFeatures.execEnv(o.platformApi) && execEnv !== '';
      if (execEnvLabel) log.info(`Adding label '${EXEC_ENV_LABEL}'`);
      const launchCache = o.daemon && o.launchCache ? await openLaunchCache(o.launchCache, log) : undefined;
      const layers = launchCache ? await launchCache.substitute(plan.layers) : plan.layers;
      // platform.md "exporter": rebasable only when the extended config says true (D-357).
      const config = {
        ...changes,
        labels: {
          ...changes.labels,
          ...(extended ? { [REBASABLE_LABEL]: String(extended.rebasable) } : {}),
          ...(execEnvLabel ? { [EXEC_ENV_LABEL]: execEnv } : {}),
        },
      };
      const image = mutate(normalizedBase({ ...runImage, config: base }, created), {
        addLayers: [
          ...(extended?.layers ?? []).map((l) => ({ layer: l.layer, history: l.history })),
          ...layers.map((l) => ({ layer: l.layer, history: l.history })),
        ],
        config,
        created,
        history: platformFeatures.imageHistory(o.platformApi) ? 'keep' : 'normalize',
      });
      checkConfigSize(image, o.layers, lifecycle);
      const reuseFrom = [readable(store, runRef), ...(prevRef ? [readable(store, prevRef)] : [])];
      const saved = await saveImage(store, o.images, image, reuseFrom, log);
      const report = await withBuildReport(saved.report, o.platformApi, o.layers, group.group);
      await writeExportReport(o.report, report);
      await launchCache?.save(layers);
      return { report, image, identifier: saved.identifier, layers: plan.counts };
    };
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
}
