import type {
  Analyzed,
  BuildMetadata,
  GroupElement,
  LifecycleMetadata,
  ProjectMetadata,
  RunFile,
} from '../files/index.ts';
import { type Image, type Layer, mutate } from '../image/index.ts';
import { type Logger, platformFeatures } from '../platform/index.ts';
import { configChanges, runImageForLabel } from './export-config.ts';
import type { ExtendedRun } from './export-extended.ts';
import { readable } from './export-inputs.ts';
import { openLaunchCache } from './export-launch-cache.ts';
import type { LayerMaker } from './export-layers.ts';
import { checkConfigSize } from './export-limits.ts';
import type { ExportOptions, ExportResult } from './export-options.ts';
import { planLayers } from './export-plan.ts';
import { saveImage, withBuildReport, writeExportReport } from './export-report.ts';
import { REBASABLE_LABEL } from './extend.ts';
import type { ImageStore } from './image-store.ts';

/**
 * The app image half of the exporter (platform.md "exporter"; docs/reference-behaviour.md §6 "Image
 * construction"): plans the launch layers, writes the labels, env and entrypoint onto the run image's
 * (or the extended run image's) config, saves the image under every name and writes report.toml. The
 * cache half is export-cache.ts; export.ts reads the inputs and runs both.
 */

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

/** What export.ts has read and opened for the app image. */
export interface AppImageInputs {
  readonly o: ExportOptions;
  readonly store: ImageStore;
  readonly group: readonly GroupElement[];
  readonly meta: BuildMetadata;
  readonly project: ProjectMetadata;
  readonly entrypoint: string[];
  /** run.toml (0.12+) or stack.toml (before). */
  readonly run: RunFile | undefined;
  readonly runToml: boolean;
  readonly analyzed: Analyzed;
  readonly runRef: string;
  /** Being read while the layers are made (D-430); its maker stops when the read fails. */
  readonly runImage: Promise<Image>;
  readonly extended: ExtendedRun | undefined;
  /** The previous image's reference ('' when none). */
  readonly prevRef: string;
  readonly previousMeta: LifecycleMetadata;
  readonly previousLayers: ReadonlyMap<string, Layer>;
  readonly maker: LayerMaker;
  /** The image creation time. */
  readonly created: string;
}

/** Builds and saves the app image; returns what the exporter reports. */
export async function exportAppImage(i: AppImageInputs, log: Logger): Promise<ExportResult> {
  const { o, store, meta, project, run, runToml, analyzed, runRef, extended, prevRef, created } = i;
  const uid = o.uid ?? 0;
  const gid = o.gid ?? 0;
  const plan = await planLayers(
    {
      group: i.group,
      meta,
      layers: o.layers,
      app: o.app,
      launcher: o.launcher,
      uid,
      gid,
      previous: i.previousMeta,
      previousLayers: i.previousLayers,
      maker: i.maker,
      concurrency: 2,
      sbom: platformFeatures.sbomFiles(o.platformApi),
    },
    log,
  ).catch(async (e: unknown) => {
    await i.runImage; // a failed run image read is what stopped the layers: report it
    throw e;
  });
  const runImage = await i.runImage;
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
      entrypoint: i.entrypoint,
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
  const report = await withBuildReport(saved.report, o.platformApi, o.layers, i.group);
  await writeExportReport(o.report, report);
  await launchCache?.save(layers);
  return { report, image, identifier: saved.identifier, layers: plan.counts };
}
