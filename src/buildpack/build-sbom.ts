import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerTypes } from '../files/index.ts';
import { LifecycleError } from '../platform/index.ts';
import { BUILD_ERROR_EXIT } from './build-errors.ts';

/** SBOM media types and their file extensions (buildpack.md "Software-Bill-of-Materials"). */
export const SBOM_MEDIA_TYPES: Readonly<Record<string, string>> = {
  'cdx.json': 'application/vnd.cyclonedx+json',
  'spdx.json': 'application/spdx+json',
  'syft.json': 'application/vnd.syft+json',
};

/** Where an SBOM goes: `<layers>/sbom/<kind>/<bp>/[<layer>/]sbom.<ext>` (platform.md "exporter" Outputs). */
export type SbomKind = 'launch' | 'build' | 'cache';

/** One SBOM file a buildpack wrote, classified. */
export interface SbomFile {
  /** File name inside the buildpack's layers directory, e.g. `node.sbom.cdx.json`. */
  readonly fileName: string;
  /** The layer it describes; absent for `launch.sbom.*` / `build.sbom.*`. */
  readonly layer?: string;
  readonly kind: SbomKind;
  /** The extension after `.sbom.`, e.g. `cdx.json`. */
  readonly ext: string;
}

/** The reference's glob `*.sbom.*.json`. */
const SBOM_NAME = /^.*\.sbom\..*\.json$/;

/**
 * Classifies the SBOM files of one buildpack's layers directory (buildpack.md
 * "Software-Bill-of-Materials"; platform.md "exporter" Outputs; the reference's placement):
 * `launch.sbom.<ext>` → launch, `build.sbom.<ext>` → build; `<layer>.sbom.<ext>` → launch when
 * the layer is `launch = true`, else build, plus cache when `cache = true`. The layer name is the
 * file name up to its first `.`; an SBOM for a layer without `<layer>.toml` is ignored.
 */
export function classifySbomFiles(
  fileNames: readonly string[],
  layers: ReadonlyMap<string, LayerTypes>,
): SbomFile[] {
  const out: SbomFile[] = [];
  for (const fileName of [...fileNames].sort()) {
    if (!SBOM_NAME.test(fileName)) continue;
    const name = fileName.slice(0, fileName.indexOf('.'));
    const ext = fileName.slice(fileName.lastIndexOf('.sbom.') + '.sbom.'.length);
    if (name === 'launch' || name === 'build') {
      out.push({ fileName, kind: name, ext });
      continue;
    }
    const types = layers.get(name);
    if (!types) continue;
    out.push({ fileName, layer: name, kind: types.launch ? 'launch' : 'build', ext });
    if (types.cache) out.push({ fileName, layer: name, kind: 'cache', ext });
  }
  return out;
}

/**
 * Checks every SBOM file has a supported extension whose media type the buildpack declares in
 * `sbom-formats` (the reference's rules: "unsupported SBOM file format", "undeclared SBOM media type").
 */
export function validateSbomFiles(
  files: readonly SbomFile[],
  declared: readonly string[],
  bp: string,
  dir: string,
): void {
  const declaredTypes = new Set(declared.map((d) => (d.split(';')[0] ?? '').trim().toLowerCase()));
  for (const f of files) {
    const mediaType = SBOM_MEDIA_TYPES[f.ext];
    if (!mediaType) {
      throw new LifecycleError(
        'ERR_SBOM_FORMAT',
        BUILD_ERROR_EXIT,
        `unsupported SBOM file format: '${join(dir, f.fileName)}'; use one of ${Object.keys(SBOM_MEDIA_TYPES)
          .map((e) => `.sbom.${e}`)
          .join(', ')}`,
      );
    }
    if (!declaredTypes.has(mediaType)) {
      throw new LifecycleError(
        'ERR_SBOM_UNDECLARED',
        BUILD_ERROR_EXIT,
        `undeclared SBOM media type: '${mediaType}' in '${join(dir, f.fileName)}' for buildpack '${bp}'; add it to sbom-formats in its buildpack.toml`,
      );
    }
  }
}

/** Lists and classifies a buildpack's SBOM files (only plain names in `bpLayersDir` are considered). */
export async function findSbomFiles(
  bpLayersDir: string,
  layers: ReadonlyMap<string, LayerTypes>,
): Promise<SbomFile[]> {
  let names: string[];
  try {
    names = await readdir(bpLayersDir);
  } catch {
    return [];
  }
  return classifySbomFiles(names, layers);
}

/**
 * Copies classified SBOM files to `<layers>/sbom/<kind>/<escaped bp id>/[<layer>/]sbom.<ext>`
 * (platform.md "exporter" Outputs). The originals stay: the exporter and cache read layer SBOMs.
 */
export async function copySbomFiles(
  layersDir: string,
  bpLayersDir: string,
  escapedId: string,
  files: readonly SbomFile[],
): Promise<void> {
  for (const f of files) {
    const target = join(layersDir, 'sbom', f.kind, escapedId, ...(f.layer === undefined ? [] : [f.layer]));
    await mkdir(target, { recursive: true });
    await copyFile(join(bpLayersDir, f.fileName), join(target, `sbom.${f.ext}`));
  }
}
