import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig, HistoryEntry, Image, Layer } from '../image/index.ts';
import { layout } from '../image/index.ts';
import {
  type ApiVersion,
  checkExperimental,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
} from '../platform/index.ts';
import { REBASABLE_LABEL } from './extend.ts';

/** An extension layer of the extended run image, with the id the reference gives it. */
export interface ExtendedLayer {
  /** `<extension id>:extended-layer-<index>` (index among the image's layers). */
  readonly id: string;
  readonly layer: Layer;
  readonly history: HistoryEntry;
}

/** The extended run image as the exporter uses it (platform.md "exporter": "MUST be based on the image in `<extended>`/run"). */
export interface ExtendedRun {
  readonly path: string;
  /** Its container config (env, user, labels, ... after the run Dockerfiles). */
  readonly config: ContainerConfig;
  /** The layers the extensions added (those whose blob is in the layout), in order. */
  readonly layers: readonly ExtendedLayer[];
  /** `io.buildpacks.rebasable` of the app image: true only when the extended config says so. */
  readonly rebasable: boolean;
}

/**
 * Before Platform API 0.13 an exporter given extension layers (`<extended>/run` not empty, as the
 * reference checks) uses the experimental Dockerfiles feature (platform.md "Experimental Features";
 * platform-0.13.md drops the mark; D-303).
 */
export async function guardExtendedLayers(
  extended: string,
  api: ApiVersion,
  experimentalMode: string | undefined,
  log: Logger,
): Promise<void> {
  if (!platformFeatures.extensionsExperimental(api)) return;
  const entries = await readdir(join(extended, 'run')).catch(() => []);
  if (entries.length > 0) checkExperimental('Dockerfiles', experimentalMode, log);
}

const HISTORY = /^Layer: '(.*)', Created by extension: (.+)$/s;

/** The created-by text and extension id of an extension layer's history entry (the extender's format). */
export function parseExtensionHistory(createdBy: string | undefined): {
  createdBy: string;
  extensionId: string;
} {
  const m = HISTORY.exec(createdBy ?? '');
  return m
    ? { createdBy: m[1] as string, extensionId: m[2] as string }
    : { createdBy: createdBy ?? '', extensionId: 'from extensions' };
}

function missing(dir: string, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_EXTENDED_MISSING',
    'export',
    `the run image is extended (analyzed.toml run-image.extend = true) but ${dir} ${why}; run 'extender -kind run' in the run image with the same -extended directory first`,
  );
}

/**
 * Reads `<extended>/run/<digest>` (the single image the extender wrote): its config and the layers
 * whose blobs it holds, which are the extension layers (the run image's own are not copied).
 */
export async function readExtendedRun(extended: string, log: Logger): Promise<ExtendedRun> {
  const runDir = join(extended, 'run');
  const names = (await readdir(runDir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  if (names.length === 0) throw missing(runDir, 'holds no image');
  if (names.length > 1) throw missing(runDir, `holds ${names.length} images (expected one)`);
  const path = join(runDir, names[0] as string);
  let img: Image;
  try {
    img = await layout.image(path);
  } catch (e) {
    throw missing(path, `cannot be read: ${messageOf(e)}`);
  }
  const history = (img.config.history ?? []).filter((h) => !h.empty_layer);
  const layers: ExtendedLayer[] = [];
  for (const [i, layer] of img.layers.entries()) {
    if (!(await layout.hasBlob(path, layer.digest, layer.size))) continue;
    const h = history[i] ?? {};
    const { extensionId } = parseExtensionHistory(h.created_by);
    layers.push({
      id: `${extensionId}:extended-layer-${i}`,
      layer,
      history: h.created_by ? { created_by: h.created_by } : {},
    });
  }
  log.debug(`Extended run image ${img.digest}: ${layers.length} extension layer(s)`);
  return {
    path,
    config: img.config.config,
    layers,
    rebasable: img.config.config.Labels?.[REBASABLE_LABEL] === 'true',
  };
}
