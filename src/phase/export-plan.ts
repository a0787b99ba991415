import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeId, readLayerTomls } from '../buildpack/index.ts';
import {
  type BuildMetadata,
  type BuildpackLayersMetadata,
  type GroupElement,
  type LayerMetadata,
  type LayerToml,
  type LifecycleMetadata,
  readStoreToml,
} from '../files/index.ts';
import type { HistoryEntry, Layer } from '../image/index.ts';
import { LifecycleError, type Logger, messageOf, runLimited } from '../platform/index.ts';
import {
  dirLayerSource,
  type LayerMaker,
  type LayerSpec,
  launcherLayerSource,
  processTypesLayerSource,
} from './export-layers.ts';
import { SBOM_LAYER_ID } from './export-sbom.ts';
import { planAppLayers } from './export-slices.ts';
import { containedDir } from './privileges/index.ts';

/**
 * Which layers the app image gets, in order (docs/reference-behaviour.md §6 "Image construction"), with the
 * reuse rules for buildpack layers ("Buildpack layer reuse rules") and the metadata label's layer data.
 */

/** One layer of the app image above the run image. */
export interface PlannedLayer {
  readonly layer: Layer;
  readonly diffID: string;
  readonly history: HistoryEntry;
  /** True when the layer is the previous image's (nothing was made). */
  readonly reused: boolean;
}

/** The layers and the metadata they contribute to `io.buildpacks.lifecycle.metadata`. */
export interface LayerPlan {
  readonly layers: readonly PlannedLayer[];
  readonly metadata: Omit<LifecycleMetadata, 'runImage' | 'stack'>;
  /** Layers made (compressed, to be uploaded) and reused from the previous image. */
  readonly counts: { readonly added: number; readonly reused: number };
}

/** What {@link planLayers} needs: the group, build metadata, paths, owner and the previous image. */
export interface PlanInputs {
  readonly group: readonly GroupElement[];
  readonly meta: BuildMetadata;
  readonly layers: string;
  readonly app: string;
  readonly launcher: string;
  readonly uid: number;
  readonly gid: number;
  /** The previous image's lifecycle metadata (analyzed.toml `[metadata]`). */
  readonly previous: LifecycleMetadata;
  /** The previous image's layers by diffID. */
  readonly previousLayers: ReadonlyMap<string, Layer>;
  readonly maker: LayerMaker;
  /** Layers made at once. */
  readonly concurrency: number;
  /** The launch SBOM layer (`<layers>/sbom/launch`) exists from Platform API 0.8 (platform-0.8.md "exporter"). */
  readonly sbom: boolean;
}

const exportError = (msg: string, cause?: unknown) =>
  new LifecycleError('ERR_EXPORT', 'export', msg, cause === undefined ? undefined : { cause });

/** A directory a buildpack replaced by a symlink is never exported (D-204). */
const notContained = (dir: string, layers: string) =>
  exportError(
    `${dir} is a symbolic link (or reached through one); layers must be directories inside ${layers}`,
  );

type Job = () => Promise<{ layer: Layer; diffID: string; reused: boolean }>;
interface Slot {
  /** The maker's id of the layer the job makes (announced to a cache export running beside, D-386). */
  readonly id?: string;
  readonly job: Job;
  readonly history: HistoryEntry;
  readonly log?: (reused: boolean) => void;
  readonly sha: (diffID: string) => void;
  /** One of the lifecycle's own layers (SBOM, launcher, config, process types): small, made first. */
  readonly lifecycle?: boolean;
}

async function buildpackSlots(i: PlanInputs, log: Logger, slots: Slot[]): Promise<BuildpackLayersMetadata[]> {
  const out: BuildpackLayersMetadata[] = [];
  for (const bp of i.group) {
    const dir = join(i.layers, escapeId(bp.id));
    if ((await containedDir(i.layers, dir)) === 'symlink') throw notContained(dir, i.layers);
    let tomls: Map<string, LayerToml>;
    try {
      tomls = await readLayerTomls(dir);
    } catch (e) {
      throw exportError(`failed to parse metadata for layers of buildpack '${bp.id}': ${messageOf(e)}`, e);
    }
    const prevBp = i.previous.buildpacks?.find((b) => b.key === bp.id);
    const layers: Record<string, LayerMetadata> = {};
    // Every launch layer's directory checked at once, then taken in name order.
    const launch = [...tomls].filter(([, t]) => t.types.launch);
    const kinds = await Promise.all(launch.map(([name]) => containedDir(i.layers, join(dir, name))));
    for (const [k, [name, t]] of launch.entries()) {
      const id = `${bp.id}:${name}`;
      const data = Object.keys(t.metadata).length > 0 ? { data: t.metadata as Record<string, unknown> } : {};
      const entry = (sha: string) => {
        layers[name] = { sha, ...data, ...t.types };
      };
      const history = { created_by: `Layer: '${name}', Created by buildpack: ${bp.id}@${bp.version}` };
      const onLog = (reused: boolean) => log.info(`${reused ? 'Reusing' : 'Adding'} layer '${id}'`);
      const prevSha = prevBp?.layers[name]?.sha;
      const kind = kinds[k];
      if (kind === 'symlink') throw notContained(join(dir, name), i.layers);
      if (kind === 'dir') {
        slots.push({
          id,
          job: () =>
            i.maker.make({
              id,
              source: dirLayerSource(join(dir, name), i.uid, i.gid),
              ...(prevSha ? { previousSha: prevSha } : {}),
            }),
          history,
          log: onLog,
          sha: entry,
        });
        continue;
      }
      if (t.types.cache) throw exportError(`layer '${id}' is cache=true but has no contents`);
      if (!prevSha)
        throw exportError(`cannot reuse '${id}', previous image has no metadata for layer '${id}'`);
      const prev = i.previousLayers.get(prevSha);
      if (!prev)
        throw exportError(`cannot reuse '${id}', previous image has no layer with diffID ${prevSha}`);
      slots.push({
        job: async () => ({ layer: prev, diffID: prevSha, reused: true }),
        history,
        log: onLog,
        sha: entry,
      });
    }
    const store = await readStoreToml(join(dir, 'store.toml'));
    out.push({
      key: bp.id,
      version: bp.version,
      layers,
      ...(store ? { store: { metadata: store.metadata as Record<string, unknown> } } : {}),
    });
  }
  return out;
}

function lifecycleSlot(
  maker: LayerMaker,
  spec: LayerSpec,
  createdBy: string,
  sha: (d: string) => void,
  log: Logger,
): Slot {
  return {
    id: spec.id,
    job: () => maker.make(spec),
    history: { created_by: createdBy },
    log: (reused) => log.info(`${reused ? 'Reusing' : 'Adding'} layer '${spec.id}'`),
    sha,
    lifecycle: true,
  };
}

/** Makes every layer of the app image (with reuse) and the layer part of the lifecycle metadata. */
export async function planLayers(i: PlanInputs, log: Logger): Promise<LayerPlan> {
  const slots: Slot[] = [];
  const meta: {
    -readonly [K in keyof LayerPlan['metadata']]: LayerPlan['metadata'][K];
  } = {};
  meta.buildpacks = await buildpackSlots(i, log, slots);
  const sbomDir = join(i.layers, 'sbom', 'launch');
  const sbomKind = i.sbom ? await containedDir(i.layers, sbomDir) : 'missing';
  if (sbomKind === 'symlink') throw notContained(sbomDir, i.layers);
  if (sbomKind === 'dir') {
    const prev = i.previous.sbom?.sha;
    const spec = {
      id: SBOM_LAYER_ID,
      source: dirLayerSource(sbomDir, i.uid, i.gid),
      ...(prev ? { previousSha: prev } : {}),
    };
    slots.push(
      lifecycleSlot(i.maker, spec, 'Software Bill-of-Materials', (sha) => (meta.sbom = { sha }), log),
    );
  }
  const apps = await planAppLayers(i.app, i.meta.slices);
  const prevApp = (i.previous.app ?? []).map((a) => a.sha);
  const app: string[] = [];
  const appReused: boolean[] = [];
  apps.forEach((plan, k) => {
    const createdBy = i.meta.slices.length === 0 ? 'Application Layer' : `Application Slice: ${k + 1}`;
    slots.push({
      job: async () => {
        const made = await i.maker.make({
          id: `buildpacksio/lifecycle:app-${k + 1}`,
          source: () => plan.entries(i.uid, i.gid),
          previousSha: prevApp,
        });
        appReused[k] = made.reused;
        return made;
      },
      history: { created_by: createdBy },
      sha: (d) => {
        app[k] = d;
      },
    });
  });
  const launcherSize = (
    await stat(i.launcher).catch((e) => {
      throw exportError(`failed to read launcher '${i.launcher}': ${messageOf(e)}`, e);
    })
  ).size;
  const prevL = i.previous.launcher?.sha;
  slots.push(
    lifecycleSlot(
      i.maker,
      {
        id: 'buildpacksio/lifecycle:launcher',
        source: launcherLayerSource(i.launcher, launcherSize),
        ...(prevL ? { previousSha: prevL } : {}),
      },
      'Buildpacks Application Launcher',
      (sha) => (meta.launcher = { sha }),
      log,
    ),
  );
  const prevC = i.previous.config?.sha;
  slots.push(
    lifecycleSlot(
      i.maker,
      {
        id: 'buildpacksio/lifecycle:config',
        source: dirLayerSource(join(i.layers, 'config'), i.uid, i.gid),
        ...(prevC ? { previousSha: prevC } : {}),
      },
      'Buildpacks Launcher Config',
      (sha) => (meta.config = { sha }),
      log,
    ),
  );
  if (i.meta.processes.length > 0) {
    const prevP = i.previous.processTypes?.sha;
    const types = i.meta.processes.map((p) => p.type);
    slots.push(
      lifecycleSlot(
        i.maker,
        {
          id: 'buildpacksio/lifecycle:process-types',
          source: processTypesLayerSource(types),
          ...(prevP ? { previousSha: prevP } : {}),
        },
        'Buildpacks Process Types',
        (sha) => (meta.processTypes = { sha }),
        log,
      ),
    );
  }
  i.maker.expect(slots.flatMap((s) => (s.id === undefined ? [] : [s.id])));
  // The lifecycle's own small layers are made first, so their uploads are done long before the last
  // buildpack layer's and the end of the export waits on fewer round trips; the image keeps slot order.
  const order = slots.map((_, k) => k);
  const rank = (k: number) => (slots[k]?.lifecycle ? 0 : 1);
  order.sort((a, b) => rank(a) - rank(b) || a - b);
  const ran = await runLimited(
    order.map((k) => slots[k]!.job),
    i.concurrency,
  );
  const made = new Array<(typeof ran)[number]>(slots.length);
  order.forEach((k, n) => {
    made[k] = ran[n]!;
  });
  let added = 0;
  let reused = 0;
  const layers = made.map((m, k) => {
    const s = slots[k]!;
    s.sha(m.diffID);
    s.log?.(m.reused);
    if (m.reused) reused++;
    else added++;
    return { layer: m.layer, diffID: m.diffID, history: s.history, reused: m.reused };
  });
  const nReused = appReused.filter(Boolean).length;
  if (nReused > 0) log.info(`Reused ${nReused}/${apps.length} app layer(s)`);
  if (apps.length - nReused > 0) log.info(`Added ${apps.length - nReused}/${apps.length} app layer(s)`);
  meta.app = app.map((sha) => ({ sha }));
  return { layers, metadata: meta, counts: { added, reused } };
}
