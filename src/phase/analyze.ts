import {
  type Analyzed,
  LIFECYCLE_METADATA_LABEL,
  type LifecycleMetadata,
  lifecycleMetadataToToml,
  parseLifecycleMetadataLabel,
  type RunFile,
  readRun,
  readStack,
  type TargetMetadata,
  writeAnalyzed,
} from '../files/index.ts';
import { auth, daemon, type Image } from '../image/index.ts';
import {
  type ApiVersion,
  isLifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
  timed,
  toPhaseError,
} from '../platform/index.ts';
import { validateAnalyzeReferences } from './analyze-references.ts';
import { restoreSbomLayer } from './analyze-sbom.ts';
import { type ImageStore, type ImageStoreInputs, imageStore } from './image-store.ts';
import { becomeBuildUser } from './privileges/index.ts';
import { resolveRunImage, runImageTarget } from './run-image.ts';

/** Inputs of the analyzer (platform.md `analyzer` "Inputs"); paths absolute. */
export interface AnalyzeOptions extends ImageStoreInputs {
  /** `<image>`: where the app image will be written. */
  readonly image: string;
  /** `-previous-image` / CNB_PREVIOUS_IMAGE; default `image`. */
  readonly previousImage?: string | undefined;
  /** `-tag`…: more tags for the app image. */
  readonly tags?: readonly string[];
  /** `-run-image` / CNB_RUN_IMAGE; default: resolved from run.toml. */
  readonly runImage?: string | undefined;
  /** `-run` / CNB_RUN_PATH (run.toml; Platform API 0.12+). */
  readonly run: string;
  /** `-stack` / CNB_STACK_PATH (stack.toml), read instead of run.toml before Platform API 0.12. */
  readonly stack?: string;
  readonly cacheImage?: string | undefined;
  readonly launchCache?: string | undefined;
  /** `-skip-layers`: do not restore the SBOM layer of the previous image. */
  readonly skipLayers?: boolean;
  readonly layers: string;
  /** `-analyzed`: where analyzed.toml goes. */
  readonly analyzed: string;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly platformApi: ApiVersion;
  /**
   * Hand `layers`/`launch-cache` to `uid:gid` and drop privileges when running as root (default true,
   * docs/reference-behaviour.md §0.8). A creator that manages the build user itself passes false.
   */
  readonly manageUser?: boolean;
}

/**
 * docs/reference-behaviour.md §1 "Registry access validation" (registry mode): read access to the previous
 * and run images, read/write access to the app image, every tag and the cache image. The cache image is
 * a registry image in every mode, so it is checked with `cacheStore`.
 */
async function ensureRegistryAccess(
  store: ImageStore,
  cacheStore: ImageStore | undefined,
  o: {
    previous: string;
    run: string;
    image: string;
    tags: readonly string[];
    cacheImage?: string | undefined;
  },
): Promise<void> {
  try {
    if (store.kind === 'registry') for (const r of [o.previous, o.run]) await store.checkRead(r);
  } catch (e) {
    throw toPhaseError(e, 'analyze', 'failed to initialize analyzer: validating registry read access');
  }
  try {
    if (o.cacheImage) await cacheStore?.checkWrite(o.cacheImage);
    if (store.kind === 'registry') for (const r of [o.image, ...o.tags]) await store.checkWrite(r);
  } catch (e) {
    throw toPhaseError(e, 'analyze', 'failed to initialize analyzer: validating registry write access');
  }
}

/** Previous image: identifier and lifecycle metadata (platform.md "analyzed.toml" `[image]`, `[metadata]`). */
async function analyzePrevious(
  store: ImageStore,
  ref: string,
  log: Logger,
): Promise<{ reference: string; metadata: LifecycleMetadata; image?: Image }> {
  let img: Image | undefined;
  try {
    img = await store.read(ref);
  } catch (e) {
    if (isLifecycleError(e) && /INVALID|INTEGRITY|CORRUPT/.test(e.code)) {
      log.info(`Ignoring image "${ref}" because it was corrupt`);
      log.debug(messageOf(e));
      return { reference: '', metadata: {} };
    }
    throw toPhaseError(e, 'analyze', `failed to get previous image ${ref}`);
  }
  if (img === undefined) {
    log.info(`Image with name "${ref}" not found`);
    return { reference: '', metadata: {} };
  }
  let metadata: LifecycleMetadata = {};
  try {
    metadata = parseLifecycleMetadataLabel(img.config.config?.Labels?.[LIFECYCLE_METADATA_LABEL], ref);
  } catch (e) {
    // docs/reference-behaviour.md §1: a missing or malformed label is empty metadata, not an error
    log.debug(`Ignoring the ${LIFECYCLE_METADATA_LABEL} label of ${ref}: ${messageOf(e)}`);
  }
  return { reference: store.identifier(ref, img), metadata, image: img };
}

/** Run image: identifier, and target when wanted (platform.md "analyzed.toml" `[run-image]`). */
async function analyzeRun(
  store: ImageStore,
  ref: string,
  withTarget: boolean,
  log: Logger,
): Promise<{ reference: string; target?: TargetMetadata }> {
  let img: Image | undefined;
  try {
    img = await store.read(ref);
  } catch (e) {
    throw toPhaseError(e, 'analyze', `failed to get run image ${ref}`);
  }
  if (img === undefined) {
    // Like the reference, a missing run image is recorded with an empty reference and the default platform.
    log.warn(`Run image "${ref}" not found; recording it without a digest`);
    return { reference: '', target: { os: 'linux', arch: 'amd64' } };
  }
  const reference = store.identifier(ref, img);
  return withTarget ? { reference, target: runImageTarget(img.config, ref) } : { reference };
}

/**
 * The analyzer (platform.md `analyzer`; docs/reference-behaviour.md §1): validates references, resolves the
 * run image, hands the layers and launch cache to the build user and drops privileges, checks registry
 * access, then records the previous image (identifier and lifecycle metadata, restoring its SBOM layer
 * unless `-skip-layers`) and the run image (identifier, name, target) in analyzed.toml.
 * @throws LifecycleError exit 3 for invalid inputs, 32 for analysis failures.
 */
export async function analyze(o: AnalyzeOptions, log: Logger): Promise<Analyzed> {
  const previous = o.previousImage || o.image;
  const tags = o.tags ?? [];
  validateAnalyzeReferences({ ...o, previousImage: previous, tags });
  if (o.launchCache && !o.daemon) log.warn('Ignoring -launch-cache, only intended for use with -daemon');
  const storeOpts = {
    env: o.env,
    dockerHost: o.dockerHost,
    insecureRegistries: o.insecureRegistries ?? [],
    keychain: auth.memoKeychain(o.keychain ?? auth.defaultKeychain(o.env)),
    log,
  };
  const modeOpts = {
    daemon: o.daemon === true,
    layout: o.layout === true,
    ...(o.layoutDir === undefined ? {} : { layoutDir: o.layoutDir }),
  };
  let store = imageStore({ ...storeOpts, ...modeOpts, dockerConnect: o.dockerConnect });
  const cacheStore = o.cacheImage ? (store.kind === 'registry' ? store : imageStore(storeOpts)) : undefined;

  // platform.md "run.toml" from 0.12; stack.toml's [run-image] before (platform-0.11.md "analyzer").
  const runPath = platformFeatures.runToml(o.platformApi) ? o.run : (o.stack ?? '/cnb/stack.toml');
  const runImage = await resolveRunImage({
    runImage: o.runImage,
    runFile: o.runImage ? undefined : await readRunFile(runPath, o.platformApi, log),
    runPath,
    appImage: o.image,
    canRead: (r) => store.canRead(r),
  });
  log.debug(`Run image: ${runImage}`);

  // docs/reference-behaviour.md §0.8: credentials are read before privileges are dropped.
  await store.primeCredentials([previous, runImage, o.image, ...tags]);
  if (o.cacheImage) await cacheStore?.primeCredentials([o.cacheImage]);
  // D-200: hand the dirs over and become the build user before any image is read or anything written
  // (the SBOM layer goes into <layers>); the daemon is then reached through the root connector (D-202).
  const user =
    o.manageUser === false
      ? undefined
      : await becomeBuildUser(
          {
            uid: o.uid,
            gid: o.gid,
            dirs: [o.layers, o.launchCache],
            ...(o.daemon ? { dockerHost: o.dockerHost || daemon.DEFAULT_DOCKER_HOST } : {}),
          },
          log,
        );
  try {
    if (user?.dockerConnect && store.kind === 'daemon')
      store = imageStore({ ...storeOpts, ...modeOpts, dockerConnect: user.dockerConnect });
    return await analyzeAsUser(o, { store, cacheStore, runImage, previous, tags }, log);
  } finally {
    user?.close();
  }
}

async function analyzeAsUser(
  o: AnalyzeOptions,
  a: {
    store: ImageStore;
    cacheStore: ImageStore | undefined;
    runImage: string;
    previous: string;
    tags: readonly string[];
  },
  log: Logger,
): Promise<Analyzed> {
  const { store, cacheStore, runImage, previous, tags } = a;
  await ensureRegistryAccess(store, cacheStore, {
    previous,
    run: runImage,
    image: o.image,
    tags,
    cacheImage: o.cacheImage,
  });
  // D-413: timed from here, as the reference's Analyze (inputs checked, registry access verified),
  // to before analyzed.toml is written.
  const analyzed = await timed(log, 'Analyzer', async (): Promise<Analyzed> => {
    const prev = await analyzePrevious(store, previous, log);
    try {
      const sbom = platformFeatures.sbomFiles(o.platformApi) && !o.skipLayers;
      if (prev.image !== undefined && sbom && prev.metadata.sbom?.sha) {
        log.info('Restoring data for SBOM from previous image');
        const cache = o.daemon ? o.launchCache : undefined;
        await restoreSbomLayer(prev.image, prev.metadata.sbom.sha, o.layers, log, cache || undefined);
      }
    } catch (e) {
      throw toPhaseError(e, 'analyze', 'failed to restore SBOM layer from previous image');
    } finally {
      await (prev.image as { dispose?: () => Promise<void> } | undefined)?.dispose?.();
    }
    const targets = platformFeatures.targetData(o.platformApi);
    const run = await analyzeRun(store, runImage, targets, log);
    return {
      previousImage: { reference: prev.reference },
      // Before 0.12 `[run-image]` has the reference only (platform-0.11.md "analyzed.toml").
      runImage: targets
        ? { reference: run.reference, image: runImage, ...(run.target ? { target: run.target } : {}) }
        : { reference: run.reference },
      metadata: lifecycleMetadataToToml(prev.metadata),
    };
  });
  try {
    await writeAnalyzed(o.analyzed, analyzed);
  } catch (e) {
    throw toPhaseError(e, 'analyze', `failed to write analyzed metadata to ${o.analyzed}`);
  }
  return analyzed;
}

async function readRunFile(path: string, api: ApiVersion, log: Logger): Promise<RunFile | undefined> {
  if (!platformFeatures.runToml(api)) {
    const stack = await readStack(path);
    if (stack === undefined) log.info(`No stack metadata found at path "${path}"`);
    return stack;
  }
  const r = await readRun(path);
  if (r === undefined) log.info(`No run metadata found at path "${path}"`);
  return r;
}
