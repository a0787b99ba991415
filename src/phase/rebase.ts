import {
  LIFECYCLE_METADATA_LABEL,
  type LifecycleMetadata,
  lifecycleMetadataLabel,
  parseLifecycleMetadataLabel,
  writeReport,
} from '../files/index.ts';
import { type Image, parseReference, rebase as rebaseImage } from '../image/index.ts';
import {
  type ApiVersion,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
  timed,
  toPhaseError,
} from '../platform/index.ts';
import { logSavedImages } from './export-report.ts';
import { type ImageStoreInputs, imageStore } from './image-store.ts';
import { rebasedLabelChanges, rebaseProblems, runImageAllowed, runImageCandidates } from './rebase-rules.ts';

/** Inputs of the rebaser (platform.md `rebaser`). */
export interface RebaseOptions extends Pick<ImageStoreInputs, 'dockerHost' | 'insecureRegistries'> {
  /** `<image>...`: the first is the output name, the rest are extra tags. */
  readonly images: readonly string[];
  /** The app image to rebase; default the first `<image>`. */
  readonly previousImage?: string;
  /** The new run image; default resolved from the app image's metadata label. */
  readonly runImage?: string;
  readonly force: boolean;
  readonly daemon: boolean;
  /** Where report.toml goes. */
  readonly report: string;
  readonly env: Readonly<Record<string, string>>;
  /** Platform API of this run (default 0.12): the run image listing rule and base labels need 0.12+. */
  readonly platformApi?: ApiVersion;
}

export interface RebaseResult {
  readonly digest?: string;
  readonly imageId?: string;
  readonly manifestSize?: number;
  readonly runImage: string;
}

const fail = (message: string, cause?: unknown) =>
  new LifecycleError('ERR_REBASE', 'rebase', message, cause === undefined ? undefined : { cause });

/**
 * Rebases an app image onto a new run image (platform.md `rebaser`; docs/reference-behaviour.md §8): only
 * the manifest and config are written, no layer bytes move (the registry mounts the new run image's
 * blobs). Every output tag gets the same image; nothing is written unless every check passes.
 */
export async function rebase(opts: RebaseOptions, log: Logger): Promise<RebaseResult> {
  const [output] = opts.images;
  if (output === undefined)
    throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', 'at least one image argument is required');
  for (const ref of [...opts.images, ...(opts.previousImage ? [opts.previousImage] : [])]) validRef(ref);
  if (!opts.daemon) sameRegistry(opts.images);

  const store = imageStore({
    daemon: opts.daemon,
    layout: false,
    env: opts.env,
    dockerHost: opts.dockerHost,
    insecureRegistries: opts.insecureRegistries ?? [],
    log,
  });
  const appRef = opts.previousImage ?? output;
  const app = await wrap(() => store.read(appRef), `failed to access image to rebase: ${appRef}`);
  if (app === undefined) throw fail(`failed to access image to rebase: image ${appRef} not found`);
  // platform.md `rebaser` "Outputs": a label it cannot read is a rebase error (70-79), naming label and image.
  const meta = await wrap(
    async () => parseLifecycleMetadataLabel(app.config.config.Labels?.[LIFECYCLE_METADATA_LABEL], appRef),
    'failed to rebase',
  );
  const topLayer = meta.runImage?.topLayer;
  if (!topLayer)
    throw fail(
      `image ${appRef} has no run-image top layer in its ${LIFECYCLE_METADATA_LABEL} label; was it built by a lifecycle?`,
    );

  const { name: runName, image: newBase } = await newRunImage(opts, meta, appRef, store.read, log);
  // D-413: timed from here, as the reference's Rebase (both images open), to before the report.
  const saved = await timed(log, 'Rebaser', async () => {
    const problems = await wrap(async () => rebaseProblems(app.config, newBase.config), 'failed to rebase');
    let newMeta: LifecycleMetadata = meta;
    // platform.md `rebaser` (0.12+): the new run image must be listed unless forced; not before.
    const modern = platformFeatures.rebaseForce(opts.platformApi ?? { major: 0, minor: 12 });
    if (modern && !runImageAllowed(runName, meta)) {
      problems.push(
        `rebase app image: new base image '${runName}' not found in existing run image metadata: ${JSON.stringify(meta.runImage ?? meta.stack?.runImage ?? {})}`,
      );
      // With -force the new run image replaces the recorded one (platform.md `rebaser`).
      newMeta = {
        ...meta,
        runImage: { topLayer, reference: '', image: runName },
        stack: { runImage: { image: runName } },
      };
    }
    for (const p of problems) {
      if (!opts.force) throw fail(`${p}; please provide -force to override`);
      log.warn(p);
    }

    const newTop = newBase.config.rootfs.diff_ids.at(-1);
    if (newTop === undefined) throw fail(`run image ${runName} has no layers`);
    const labels = rebasedLabelChanges(app.config, newBase.config, modern);
    newMeta = {
      ...newMeta,
      runImage: {
        ...(newMeta.runImage ?? { image: runName }),
        topLayer: newTop,
        reference: store.identifier(runName, newBase),
      },
    };
    const rebased = rebaseImage(app, topLayer, newBase, {
      config: {
        removeLabels: labels.remove,
        labels: { ...labels.set, [LIFECYCLE_METADATA_LABEL]: lifecycleMetadataLabel(newMeta) },
      },
    });
    log.info(`Saving ${output}...`);
    const saved = await wrap(() => store.write([...opts.images], rebased), `failed to write image ${output}`);
    log.info(`Rebased ${appRef} onto ${runName}`);
    const names = opts.images.map((name) => ({ name }));
    logSavedImages(log, store.kind, names, saved, rebased.digest);
    return saved;
  });
  await writeReport(opts.report, {
    image: {
      tags: [...opts.images],
      ...(saved.digest === undefined ? {} : { digest: saved.digest }),
      ...(saved.imageId === undefined ? {} : { imageId: saved.imageId }),
      ...(saved.manifestSize === undefined ? {} : { manifestSize: saved.manifestSize }),
    },
  });
  return { ...saved, runImage: runName };
}

async function newRunImage(
  opts: RebaseOptions,
  meta: LifecycleMetadata,
  appRef: string,
  read: (ref: string) => Promise<Image | undefined>,
  log: Logger,
): Promise<{ name: string; image: Image }> {
  const candidates = opts.runImage ? [opts.runImage] : runImageCandidates(meta, appRef);
  if (candidates.length === 0)
    throw new LifecycleError(
      'ERR_INVALID_ARGS',
      'invalidArgs',
      '-run-image is required when there is no run image metadata available',
    );
  for (const name of candidates) {
    validRef(name);
    try {
      const img = await read(name);
      if (img !== undefined) return { name, image: img };
      log.debug(`run image ${name} not found`);
    } catch (e) {
      if (opts.runImage) throw fail(`failed to access run image ${name}: ${messageOf(e)}`, e);
      log.debug(`run image ${name} is not readable: ${messageOf(e)}`);
    }
  }
  throw fail(`failed to find a readable run image; tried: ${candidates.join(', ')}`);
}

function validRef(ref: string): void {
  try {
    parseReference(ref);
  } catch (e) {
    throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', messageOf(e), { cause: e });
  }
}

function sameRegistry(images: readonly string[]): void {
  const regs = new Set(images.map((i) => parseReference(i).registry));
  if (regs.size > 1)
    throw new LifecycleError(
      'ERR_INVALID_ARGS',
      'invalidArgs',
      `writing to multiple registries is unsupported: ${images.join(', ')}`,
    );
}

async function wrap<T>(fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toPhaseError(e, 'rebase', what);
  }
}
