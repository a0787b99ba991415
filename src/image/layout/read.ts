import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError, messageOf } from '../../platform/index.ts';
import { parseJsonBytes, sha256Digest } from '../json.ts';
import { defaultPlatform } from '../platform.ts';
import {
  type Descriptor,
  type Image,
  type ImageConfig,
  type Index,
  type Manifest,
  MediaType,
} from '../types.ts';
import { readBlob } from './blobs.ts';
import { type LayoutLayer, layoutLayer } from './layer.ts';
import { layoutIdentifier, REF_NAME_ANNOTATION } from './path.ts';

/** An image read from an OCI layout. */
export interface LayoutImage extends Image {
  /** The layout directory. */
  readonly path: string;
  /** `<path>@<digest>`, how the reference lifecycle names an image in a layout. */
  readonly identifier: string;
  /** Annotations of the image's entry in `index.json` (e.g. `org.opencontainers.image.ref.name`). */
  readonly annotations: Readonly<Record<string, string>>;
  readonly layers: readonly LayoutLayer[];
}

/** Which image of a layout to read. */
export interface LayoutSelect {
  /** Manifest (or index) digest. */
  readonly digest?: string;
  /** Value of the `org.opencontainers.image.ref.name` annotation. */
  readonly refName?: string;
  /** Platform to pick from an image index (default: linux and this machine's architecture). */
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
}

const INDEX_TYPES = new Set<string>([MediaType.ociIndex, MediaType.dockerManifestList]);

/** Reads `<dir>/index.json`. @throws LifecycleError `ERR_IMAGE_NOT_FOUND` when there is no layout at `dir`. */
export async function readIndex(dir: string): Promise<Index> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'index.json'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new LifecycleError(
        'ERR_IMAGE_NOT_FOUND',
        'failed',
        `no image in OCI layout ${dir} (no index.json); check -layout-dir and the image reference`,
        { cause: e },
      );
    }
    throw new LifecycleError(
      'ERR_LAYOUT_INVALID',
      'failed',
      `cannot read ${join(dir, 'index.json')}: ${messageOf(e)}`,
      {
        cause: e,
      },
    );
  }
  const index = parseOrFail<Index>(dir, bytes, 'index.json');
  if (!Array.isArray(index.manifests)) throw invalidLayout(dir, 'index.json has no "manifests" array');
  return index;
}

/**
 * Reads an image from the OCI layout `dir` (platform.md: the directory of one image reference, see
 * `layoutPath`). Manifest and config are read and verified now; layer blobs are streamed (and
 * verified) only when asked for, so sparse layouts without layer blobs can be read too.
 *
 * `select` is a digest (`sha256:…`), a ref name, or options; without it the layout must hold a single
 * image (an index entry is resolved for the platform).
 */
export async function image(dir: string, select?: string | LayoutSelect): Promise<LayoutImage> {
  const sel: LayoutSelect =
    typeof select === 'string'
      ? /^[a-z0-9]+:[a-f0-9]{32,}$/.test(select)
        ? { digest: select }
        : { refName: select }
      : (select ?? {});
  const index = await readIndex(dir);
  let entries = index.manifests;
  if (sel.refName !== undefined)
    entries = entries.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] === sel.refName);
  if (sel.digest !== undefined) entries = entries.filter((d) => d.digest === sel.digest);
  const [entry, ...more] = entries;
  if (entry === undefined || more.length > 0) {
    const listed = index.manifests
      .map(
        (d) =>
          `${d.digest}${d.annotations?.[REF_NAME_ANNOTATION] ? ` (${d.annotations[REF_NAME_ANNOTATION]})` : ''}`,
      )
      .join(', ');
    throw new LifecycleError(
      entry === undefined ? 'ERR_IMAGE_NOT_FOUND' : 'ERR_LAYOUT_AMBIGUOUS',
      'failed',
      `OCI layout ${dir}: ${entry === undefined ? 'no' : 'more than one'} image matches ` +
        `${sel.digest ?? sel.refName ?? '(no selector)'}; it holds [${listed || 'nothing'}] — select one by digest or ref name`,
    );
  }
  const manifestDesc = await resolveIndex(dir, entry, sel);
  return readImage(dir, manifestDesc, entry.annotations ?? {});
}

async function resolveIndex(dir: string, desc: Descriptor, sel: LayoutSelect): Promise<Descriptor> {
  if (!INDEX_TYPES.has(desc.mediaType)) return desc;
  const child = parseOrFail<Index>(
    dir,
    await readBlob(dir, desc, 'image index'),
    `image index ${desc.digest}`,
  );
  const want = sel.platform ?? defaultPlatform();
  const images = (child.manifests ?? []).filter((d) => !INDEX_TYPES.has(d.mediaType));
  const match =
    images.length === 1 && images[0]?.platform === undefined
      ? images[0]
      : images.find(
          (d) =>
            d.platform?.os === want.os &&
            d.platform.architecture === want.architecture &&
            (want.variant === undefined || d.platform.variant === want.variant),
        );
  if (match === undefined) {
    const have = images.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).join(', ');
    throw new LifecycleError(
      'ERR_IMAGE_NOT_FOUND',
      'failed',
      `OCI layout ${dir}: image index ${desc.digest} has no image for ${want.os}/${want.architecture} ` +
        `(it has ${have || 'none'}); pick a platform that it provides`,
    );
  }
  return match;
}

async function readImage(
  dir: string,
  desc: Descriptor,
  annotations: Readonly<Record<string, string>>,
): Promise<LayoutImage> {
  const rawManifest = await readBlob(dir, desc, 'manifest');
  const manifest = parseOrFail<Manifest>(dir, rawManifest, `manifest ${desc.digest}`);
  if (manifest.config === undefined || !Array.isArray(manifest.layers)) {
    throw invalidLayout(
      dir,
      `manifest ${desc.digest} is not an image manifest (media type ${desc.mediaType})`,
    );
  }
  const rawConfig = await readBlob(dir, manifest.config, 'config');
  const config = parseOrFail<ImageConfig>(dir, rawConfig, `config ${manifest.config.digest}`);
  const diffIDs = config.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== manifest.layers.length) {
    throw invalidLayout(
      dir,
      `manifest ${desc.digest} lists ${manifest.layers.length} layers but its config has ${diffIDs.length} diff_ids`,
    );
  }
  const digest = sha256Digest(rawManifest);
  return {
    path: dir,
    identifier: layoutIdentifier(dir, digest),
    annotations,
    digest,
    manifest,
    rawManifest,
    config,
    rawConfig,
    layers: manifest.layers.map((l, i) => layoutLayer(dir, l, diffIDs[i]!)),
  };
}

function parseOrFail<T>(dir: string, bytes: Uint8Array, what: string): T {
  try {
    return parseJsonBytes<T>(bytes, what);
  } catch (e) {
    throw invalidLayout(dir, messageOf(e));
  }
}

function invalidLayout(dir: string, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_LAYOUT_INVALID',
    'failed',
    `OCI layout ${dir} is invalid: ${why}; write the image again`,
  );
}
