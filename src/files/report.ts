import {
  fieldError,
  optString,
  optStringArray,
  optTable,
  readToml,
  type TomlTable,
  writeToml,
} from './toml.ts';

/** `[image]` of report.toml (platform.md "report.toml (TOML)"). */
export interface ImageReport {
  /** Every tag reference the app image was exported to. */
  readonly tags: readonly string[];
  /** Image digest, when exported to a registry (or an OCI layout). */
  readonly digest?: string;
  /** Image ID, when exported to a docker daemon. */
  readonly imageId?: string;
  /** Manifest size in bytes, when exported to a registry; omitted when 0 (the reference's omitempty). */
  readonly manifestSize?: number;
}

/** report.toml as the exporter writes it. `build` carries the legacy BOM only for Platform API < 0.9. */
export interface Report {
  readonly image: ImageReport;
  readonly build?: { readonly bom?: readonly TomlTable[] };
}

/** The TOML document for a report (platform.md "report.toml"). */
export function reportToToml(r: Report): TomlTable {
  const image: TomlTable = { tags: [...r.image.tags] };
  if (r.image.digest) image['digest'] = r.image.digest;
  if (r.image.imageId) image['image-id'] = r.image.imageId;
  if (r.image.manifestSize) image['manifest-size'] = r.image.manifestSize;
  const out: TomlTable = { image };
  if (r.build?.bom && r.build.bom.length > 0) out['build'] = { bom: [...r.build.bom] };
  return out;
}

/** Parses report.toml (platform tests and `pack` read it). `manifest-size` may be an integer or a string. */
export function parseReport(t: TomlTable, file: string): Report {
  const img = optTable(t, 'image', file) ?? {};
  const digest = optString(img, 'digest', file, 'image.digest');
  const imageId = optString(img, 'image-id', file, 'image.image-id');
  const rawSize = img['manifest-size'];
  let manifestSize: number | undefined;
  if (typeof rawSize === 'number' || typeof rawSize === 'bigint') manifestSize = Number(rawSize);
  else if (typeof rawSize === 'string' && /^\d+$/.test(rawSize)) manifestSize = Number(rawSize);
  else if (rawSize !== undefined) throw fieldError(file, 'image.manifest-size', 'expected a number of bytes');
  const build = optTable(t, 'build', file);
  const bom = build?.['bom'];
  return {
    image: {
      tags: optStringArray(img, 'tags', file, 'image.tags') ?? [],
      ...(digest ? { digest } : {}),
      ...(imageId ? { imageId } : {}),
      ...(manifestSize ? { manifestSize } : {}),
    },
    ...(Array.isArray(bom) ? { build: { bom: bom as TomlTable[] } } : {}),
  };
}

/** Reads report.toml. */
export async function readReport(file: string): Promise<Report> {
  return parseReport(await readToml(file), file);
}

/** Writes report.toml atomically. */
export async function writeReport(file: string, r: Report): Promise<void> {
  await writeToml(file, reportToToml(r));
}
