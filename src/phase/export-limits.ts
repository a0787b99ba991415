import { join } from 'node:path';
import { escapeId } from '../buildpack/index.ts';
import type { LifecycleMetadata } from '../files/index.ts';
import { type Image, remote } from '../image/index.ts';
import { LifecycleError } from '../platform/index.ts';

/** One contributor to the image config's size: a label, or a buildpack file copied into one. */
export interface ConfigPart {
  /** What it is: `label <name>`, or a file path. */
  readonly what: string;
  readonly bytes: number;
}

const jsonSize = (v: unknown) => Buffer.byteLength(JSON.stringify(v ?? null));

/**
 * The buildpack files whose content goes into `io.buildpacks.lifecycle.metadata`, with their JSON
 * sizes: each `store.toml` `[metadata]` and each `<layer>.toml` `[metadata]` (D-214).
 */
export function lifecycleMetadataParts(layersDir: string, meta: LifecycleMetadata): ConfigPart[] {
  const parts: ConfigPart[] = [];
  for (const bp of meta.buildpacks ?? []) {
    const dir = join(layersDir, escapeId(bp.key));
    if (bp.store !== undefined)
      parts.push({ what: join(dir, 'store.toml'), bytes: jsonSize(bp.store.metadata) });
    for (const [name, l] of Object.entries(bp.layers))
      if (l.data !== undefined) parts.push({ what: join(dir, `${name}.toml`), bytes: jsonSize(l.data) });
  }
  return parts;
}

/**
 * Refuses an app image whose config the analyzer could not read back (D-214: configs are read up to
 * 16 MiB): the error names the config size, the limit, and the largest labels and buildpack files.
 */
export function checkConfigSize(
  img: Image,
  layersDir: string,
  meta: LifecycleMetadata,
  limit = remote.MAX_CONFIG_BYTES,
): void {
  const size = img.rawConfig.byteLength;
  if (size <= limit) return;
  const labels = Object.entries(img.config.config?.Labels ?? {}).map(([k, v]) => ({
    what: `label ${k}`,
    bytes: Buffer.byteLength(v),
  }));
  const top = [...labels, ...lifecycleMetadataParts(layersDir, meta)]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4)
    .map((p) => `${p.what} ${p.bytes} bytes`)
    .join(', ');
  throw new LifecycleError(
    'ERR_CONFIG_TOO_LARGE',
    'export',
    `the image config would be ${size} bytes, more than the limit of ${limit} bytes (16 MiB) that the ` +
      `analyzer reads back (largest: ${top}); buildpacks must keep store.toml and layer metadata small`,
  );
}
