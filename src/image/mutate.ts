import { buildImage, familyOf, type MediaTypeFamily } from './assemble.ts';
import type { ContainerConfig, HistoryEntry, Image, ImageConfig, Layer } from './types.ts';

/** The constant image creation time (platform.md "Build Reproducibility"), as the reference writes it. */
export const NORMALIZED_CREATED = '1980-01-01T00:00:01Z';

/** A layer to append, with its history entry (`created` defaults to the image's creation time). */
export interface AddLayer {
  readonly layer: Layer;
  readonly history?: HistoryEntry;
}

/** Changes to the container config (`config.config`) of an image. */
export interface ConfigChanges {
  /** Variables to set: an existing `KEY=` entry is replaced in place, new keys are appended in key order. */
  readonly env?: Readonly<Record<string, string>>;
  /** Labels to set (merged over the base's). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Labels to remove (applied before `labels`). */
  readonly removeLabels?: readonly string[];
  /** `null` removes the entrypoint. */
  readonly entrypoint?: readonly string[] | null;
  /** `null` removes the command. */
  readonly cmd?: readonly string[] | null;
  readonly workingDir?: string;
  readonly user?: string;
  /** Ports like `8080/tcp` to add to `ExposedPorts`. */
  readonly exposedPorts?: readonly string[];
  readonly stopSignal?: string;
}

/** Options of {@link mutate}. */
export interface MutateOptions {
  /** Layers appended on top of the base, in order. */
  readonly addLayers?: readonly (Layer | AddLayer)[];
  readonly config?: ConfigChanges;
  /** Creation time; default {@link NORMALIZED_CREATED} (callers pass SOURCE_DATE_EPOCH when set). */
  readonly created?: Date | string;
  /** Media types of the result: the base's family (default, as the reference does) or a fixed one. */
  readonly mediaTypes?: 'base' | MediaTypeFamily;
  /** Manifest annotations of the result (the base's manifest annotations are not carried over). */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * `keep` (default): the base's history plus the added layers' entries. `normalize`: one `{created}`
   * entry per layer and nothing else, as the reference (imgutil) writes when history is not requested.
   */
  readonly history?: 'keep' | 'normalize';
}

/**
 * A new image from `base` plus layers and config changes. No layer bytes are read: the result's
 * manifest and config are built with sorted-key JSON, so equal inputs give equal digests.
 * Build-container leftovers (`container`, `container_config`, `docker_version`) are dropped.
 */
export function mutate(base: Image, opts: MutateOptions = {}): Image {
  const created = formatCreated(opts.created);
  const added = (opts.addLayers ?? []).map(toAddLayer);
  const config = applyConfigChanges(base.config, opts.config ?? {});
  const history =
    opts.history === 'normalize'
      ? [...base.layers, ...added].map((): HistoryEntry => ({ created }))
      : mergeHistory(base, added, created);
  const mediaTypes =
    opts.mediaTypes === undefined || opts.mediaTypes === 'base'
      ? familyOf(base.manifest.mediaType)
      : opts.mediaTypes;
  const { rootfs: _rootfs, container: _c, container_config: _cc, docker_version: _dv, ...rest } = base.config;
  return buildImage({
    config: { ...rest, created, config, ...(history ? { history } : {}) },
    layers: [...base.layers, ...added.map((a) => a.layer)],
    mediaTypes,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  });
}

/** RFC 3339 UTC time as Go writes it (no fractional part when it is zero). */
export function formatCreated(created: Date | string | undefined): string {
  if (created === undefined) return NORMALIZED_CREATED;
  if (typeof created === 'string') return created;
  if (Number.isNaN(created.getTime())) throw new RangeError('created: invalid date');
  const iso = created.toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** The container config with `changes` applied (pure). */
export function applyConfigChanges(config: ImageConfig, changes: ConfigChanges): ContainerConfig {
  const out: Record<string, unknown> = { ...(config.config ?? {}) };
  if (changes.env) out['Env'] = setEnv(config.config?.Env ?? [], changes.env);
  if (changes.labels || changes.removeLabels) {
    const labels: Record<string, string> = { ...(config.config?.Labels ?? {}) };
    for (const k of changes.removeLabels ?? []) delete labels[k];
    Object.assign(labels, changes.labels ?? {});
    out['Labels'] = labels;
  }
  if (changes.entrypoint !== undefined) setOrDelete(out, 'Entrypoint', changes.entrypoint);
  if (changes.cmd !== undefined) setOrDelete(out, 'Cmd', changes.cmd);
  if (changes.workingDir !== undefined) out['WorkingDir'] = changes.workingDir;
  if (changes.user !== undefined) out['User'] = changes.user;
  if (changes.stopSignal !== undefined) out['StopSignal'] = changes.stopSignal;
  if (changes.exposedPorts) {
    const ports: Record<string, object> = { ...(config.config?.ExposedPorts ?? {}) };
    for (const p of changes.exposedPorts) ports[p] = {};
    out['ExposedPorts'] = ports;
  }
  return out as ContainerConfig;
}

function setOrDelete(out: Record<string, unknown>, key: string, value: readonly string[] | null): void {
  if (value === null) delete out[key];
  else out[key] = [...value];
}

function setEnv(env: readonly string[], set: Readonly<Record<string, string>>): string[] {
  const out = [...env];
  for (const key of Object.keys(set).sort()) {
    const entry = `${key}=${set[key]}`;
    const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

function toAddLayer(l: Layer | AddLayer): AddLayer {
  return 'layer' in l && typeof (l as AddLayer).layer === 'object' ? (l as AddLayer) : { layer: l as Layer };
}

/**
 * The base's history followed by one entry per added layer. When the base has layers but no history
 * and history is being recorded, the base part is filled with `{created}` entries so that entries and
 * layers stay aligned. Returns undefined when neither side has history.
 */
function mergeHistory(base: Image, added: readonly AddLayer[], created: string): HistoryEntry[] | undefined {
  const baseHistory = base.config.history ?? [];
  if (baseHistory.length === 0 && added.length === 0) return base.config.history ? [] : undefined;
  const head =
    baseHistory.length === 0 ? base.layers.map((): HistoryEntry => ({ created })) : [...baseHistory];
  return [...head, ...added.map((a): HistoryEntry => ({ created, ...(a.history ?? {}) }))];
}
