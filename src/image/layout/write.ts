import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LifecycleError, mapLimit, messageOf } from '../../platform/index.ts';
import { stableJson } from '../json.ts';
import { type Descriptor, type Image, type Index, type Layer, MediaType } from '../types.ts';
import { type BlobSource, writeBlob } from './blobs.ts';
import { layoutIdentifier, REF_NAME_ANNOTATION } from './path.ts';
import { readIndex } from './read.ts';

/** Options of {@link write}. */
export interface LayoutWriteOptions {
  /** Sets the `org.opencontainers.image.ref.name` annotation of the image's `index.json` entry. */
  readonly refName?: string;
  /** More annotations for the `index.json` entry. */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * `replace` (default, as the reference lifecycle does): `index.json` lists only this image.
   * `append`: keep the other entries, replacing the one with the same ref name (without a ref name: the
   * unnamed entry with the same digest).
   */
  readonly mode?: 'replace' | 'append';
  /**
   * Write manifest and config only, no layer blobs (a sparse layout, like the reference's
   * `WithoutLayersWhenSaved`, e.g. for a base image that only needs its config for extension).
   */
  readonly withoutLayers?: boolean;
  /**
   * Tolerate layers whose source blob is missing (a sparse source layout): they are left out of the
   * destination too and counted as `missing`, as the reference does, instead of failing.
   */
  readonly allowMissingLayers?: boolean;
  /** How many layer blobs are written at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/** What {@link write} did. */
export interface LayoutWriteResult {
  readonly path: string;
  /** Manifest digest. */
  readonly digest: string;
  /** `<path>@<digest>`. */
  readonly identifier: string;
  /**
   * Layer blobs by how they got there: already present, hard-linked from a source layout, copied, or
   * missing in the source (only with `allowMissingLayers`).
   */
  readonly blobs: {
    readonly present: number;
    readonly linked: number;
    readonly written: number;
    readonly missing: number;
  };
}

/**
 * Writes `image` to the OCI layout `dir` (created if needed): layer blobs (skipped when present,
 * hard-linked from a source layout on the same filesystem, else streamed and verified), config,
 * manifest, then `index.json` atomically (temp file + rename) so readers never see a partial index.
 * Blobs are shared by all images of the layout.
 */
export async function write(
  dir: string,
  image: Image,
  opts: LayoutWriteOptions = {},
): Promise<LayoutWriteResult> {
  const signal = opts.signal;
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFileAtomic(join(dir, 'oci-layout'), stableJson({ imageLayoutVersion: '1.0.0' }));
    const counts = { present: 0, linked: 0, written: 0, missing: 0 };
    await mapLimit(opts.withoutLayers ? [] : image.layers, opts.concurrency ?? 4, async (layer) => {
      try {
        counts[await writeBlob(dir, layerSource(dir, layer), signal)]++;
      } catch (e) {
        if (!(opts.allowMissingLayers && e instanceof LifecycleError && e.code === 'ERR_LAYOUT_BLOB_MISSING'))
          throw e;
        counts.missing++;
      }
    });
    await writeBlob(dir, bytesSource(image.manifest.config.digest, image.rawConfig), signal);
    await writeBlob(dir, bytesSource(image.digest, image.rawManifest), signal);

    const annotations: Record<string, string> = { ...(opts.annotations ?? {}) };
    if (opts.refName !== undefined) annotations[REF_NAME_ANNOTATION] = opts.refName;
    const entry: Descriptor = {
      mediaType: image.manifest.mediaType ?? MediaType.ociManifest,
      digest: image.digest,
      size: image.rawManifest.byteLength,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
    let others: readonly Descriptor[] = [];
    if (opts.mode === 'append') {
      const name = opts.refName;
      others = (await readIndexOrEmpty(dir)).manifests.filter((d) => {
        const dName = d.annotations?.[REF_NAME_ANNOTATION];
        return name !== undefined ? dName !== name : !(d.digest === entry.digest && dName === undefined);
      });
    }
    const index: Index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...others, entry] };
    await writeFileAtomic(join(dir, 'index.json'), stableJson(index));
    return {
      path: dir,
      digest: image.digest,
      identifier: layoutIdentifier(dir, image.digest),
      blobs: counts,
    };
  } catch (e) {
    if (e instanceof LifecycleError) throw e;
    throw new LifecycleError(
      'ERR_LAYOUT_WRITE',
      'failed',
      `cannot write image ${image.digest} to OCI layout ${dir}: ${messageOf(e)}; check that the directory is writable and has space`,
      { cause: e },
    );
  }
}

function layerSource(dir: string, layer: Layer): BlobSource {
  if (layer.size < 0) {
    throw new LifecycleError(
      'ERR_LAYOUT_WRITE',
      'failed',
      `cannot write layer ${layer.diffID} to OCI layout ${dir}: its size is unknown (a daemon image read lazily?); ` +
        'read the image with daemon.save() to write it to a layout',
    );
  }
  // a blob file to hard-link: a layout layer's `file`, or `src/layer` FileLayer's `path`
  const l = layer as { file?: unknown; path?: unknown };
  const file = typeof l.file === 'string' ? l.file : l.path;
  return {
    digest: layer.digest,
    size: layer.size,
    ...(typeof file === 'string' ? { file } : {}),
    open: (signal) => layer.compressed(signal),
  };
}

function bytesSource(digest: string, bytes: Uint8Array): BlobSource {
  return { digest, size: bytes.byteLength, open: async () => Readable.from([Buffer.from(bytes)]) };
}

async function readIndexOrEmpty(dir: string): Promise<Index> {
  try {
    return await readIndex(dir);
  } catch (e) {
    if (e instanceof LifecycleError && e.code === 'ERR_IMAGE_NOT_FOUND')
      return { schemaVersion: 2, manifests: [] };
    throw e;
  }
}

/** Writes a file via a temp file in the same directory and a rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
