import { join } from 'node:path';
import { escapeId } from '../buildpack/index.ts';
import { type GroupElement, type Report, readBuildToml, writeReport } from '../files/index.ts';
import type { Image } from '../image/index.ts';
import {
  type ApiVersion,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
} from '../platform/index.ts';
import type { ImageStore, StoreKind, StoreWriteResult } from './image-store.ts';

/**
 * Saving the app image under every name and writing report.toml (platform.md "exporter": "SHALL write the
 * same app image to each `<image>` tag", "report.toml"; docs/reference-behaviour.md §6 "Save and report").
 */

/** What {@link saveImage} did. */
export interface SaveResult {
  readonly report: Report;
  /** The written image's identifier (registry `<repo>@<digest>`, daemon ID, layout `<path>@<digest>`). */
  readonly identifier: string;
}

/**
 * The `*** Images (<id>):` block and its debug lines as the reference's save step prints them
 * (docs/reference-behaviour.md §6 "Save and report"): the id is a daemon image ID's first 12 hex
 * digits, a registry image's manifest digest (`sha256:<hex>`), or a layout image's `<path>@<digest>`;
 * then each name (with ` - <cause>` when it failed), then at debug `*** Image ID` (daemon) or
 * `*** Digest` (registry) and `*** Manifest Size` (registry, layout). Logs and tools read these lines.
 */
export function logSavedImages(
  log: Logger,
  kind: StoreKind,
  names: readonly { readonly name: string; readonly failed?: string }[],
  w: StoreWriteResult | undefined,
  fallbackDigest: string,
): void {
  const hex12 = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
  const id =
    kind === 'daemon'
      ? hex12(w?.imageId ?? fallbackDigest)
      : kind === 'registry'
        ? (w?.digest ?? fallbackDigest)
        : (w?.identifier ?? hex12(fallbackDigest));
  log.info(`*** Images (${id}):`);
  for (const n of names) log.info(`      ${n.name}${n.failed === undefined ? '' : ` - ${n.failed}`}`);
  if (w === undefined) return;
  if (kind === 'daemon' && w.imageId) log.debug(`*** Image ID: ${w.imageId}`);
  if (kind === 'registry' && w.digest) log.debug(`*** Digest: ${w.digest}`);
  if (kind !== 'daemon' && w.manifestSize) log.debug(`*** Manifest Size: ${w.manifestSize}`);
}

/**
 * Writes `img` to `names` (the first is the output image, the rest extra tags) and returns the report.
 * The daemon gets one load with every tag; a registry gets each blob once per repository and one
 * manifest per name (D-381); a layout is written name by name. One bad name is listed as
 * `<name> - <cause>` while the others are saved. Any failure fails the export (62) with
 * `failed to write image to the following tags: [...]` after the summary is logged.
 */
export async function saveImage(
  store: ImageStore,
  names: readonly string[],
  img: Image,
  reuseFrom: readonly string[],
  log: Logger,
): Promise<SaveResult> {
  const saved: string[] = [];
  const failed: { name: string; cause: string }[] = [];
  let result: StoreWriteResult | undefined;
  const shown = (n: string) => (store.kind === 'layout' ? store.locate(n) : n);
  log.info(`Saving ${shown(names[0] ?? '')}...`);
  for (const o of await store.writeEach(names, img, { reuseFrom })) {
    if (o.ok) {
      result ??= o.result;
      saved.push(o.name);
    } else failed.push({ name: o.name, cause: o.cause });
  }
  const listed = names.map((n) => {
    const f = failed.find((x) => x.name === n);
    return { name: shown(n), ...(f ? { failed: f.cause } : {}) };
  });
  logSavedImages(log, store.kind, listed, result, img.digest);
  if (failed.length > 0 || result === undefined) {
    throw new LifecycleError(
      'ERR_EXPORT_SAVE',
      'export',
      `failed to write image to the following tags: [${failed.map((f) => `${f.name}: ${f.cause}`).join(', ')}]`,
    );
  }
  const report: Report = {
    image: {
      tags: saved,
      ...(result.digest ? { digest: result.digest } : {}),
      ...(result.imageId ? { imageId: result.imageId } : {}),
      ...(result.manifestSize ? { manifestSize: result.manifestSize } : {}),
    },
  };
  return { report, identifier: result.identifier };
}

/** Writes report.toml (`-report`, default `<layers>/report.toml`). */
export async function writeExportReport(path: string, report: Report): Promise<void> {
  try {
    await writeReport(path, report);
  } catch (e) {
    throw new LifecycleError(
      'ERR_EXPORT_REPORT',
      'export',
      `failed to write report ${path}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
}

/**
 * report.toml's `[build]` before Platform API 0.9 (platform-0.8.md "report.toml"): the legacy `[[bom]]`
 * of every buildpack's `<layers>/<buildpack>/build.toml`, each with its buildpack, as the reference. From
 * 0.9 the build BOM is an SBOM file and `[build]` is absent (platform-0.9.md "exporter").
 */
export async function withBuildReport(
  report: Report,
  api: ApiVersion,
  layers: string,
  group: readonly GroupElement[],
): Promise<Report> {
  if (platformFeatures.bomAsSbomFile(api)) return report;
  const bom = [];
  for (const bp of group) {
    const toml = await readBuildToml(join(layers, escapeId(bp.id), 'build.toml'));
    bom.push(...toml.bom.map((b) => ({ ...b, buildpack: { id: bp.id, version: bp.version } })));
  }
  return { ...report, build: { bom } };
}
