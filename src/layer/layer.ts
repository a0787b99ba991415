import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { decompressLayer, LayerMediaType } from './media-type.ts';
import { verifyDigest } from './verify.ts';
import { type LayerDigests, type LayerSource, type WriteLayerOptions, writeLayer } from './write.ts';

/**
 * A layer: compressed blob identity plus uncompressed identity, and streams of both. The image model
 * (`image/types.ts`) is built from these; the layer toolkit owns the type so `image` depends on `layer`
 * and never the other way round.
 */
export interface Layer {
  /** sha256 of the compressed blob as stored (`sha256:<hex>`). */
  readonly digest: string;
  /** sha256 of the uncompressed tar (`sha256:<hex>`). */
  readonly diffID: string;
  /** Size in bytes of the compressed blob. */
  readonly size: number;
  readonly mediaType: string;
  /** The blob as stored; verified for size and digest while streaming. */
  compressed(signal?: AbortSignal): Promise<Readable>;
  /** The uncompressed tar; verified against diffID while streaming. */
  uncompressed(signal?: AbortSignal): Promise<Readable>;
}

/** A layer whose blob is a file on disk. */
export interface FileLayer extends Layer {
  /** Path of the blob (gzip, or a plain tar when `mediaType` says so). */
  readonly path: string;
}

/**
 * A {@link Layer} over a blob file with known identity. Both streams are verified while they are read:
 * `compressed()` against size and digest, `uncompressed()` against the diffID.
 */
export function fileLayer(path: string, d: LayerDigests & { readonly mediaType?: string }): FileLayer {
  const mediaType = d.mediaType ?? LayerMediaType.ociGzip;
  const compressed = async (signal?: AbortSignal): Promise<Readable> => {
    const file = createReadStream(
      path,
      signal ? { signal, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 },
    );
    return verifyDigest(file, d.digest, d.size, 'layer');
  };
  return {
    path,
    digest: d.digest,
    diffID: d.diffID,
    size: d.size,
    mediaType,
    compressed,
    async uncompressed(signal?: AbortSignal): Promise<Readable> {
      return decompressLayer(await compressed(signal), mediaType, d.diffID, `layer ${d.digest} (${path})`);
    },
  };
}

/**
 * Write a layer from a directory (or explicit entries) to `blobPath` in one pass and return it as a
 * {@link FileLayer}. `mediaType` defaults to the OCI gzip layer type (plain tar type with `compression: 'none'`).
 */
export async function layerFromDir(
  source: LayerSource,
  blobPath: string,
  opts: WriteLayerOptions & { readonly mediaType?: string } = {},
): Promise<FileLayer> {
  const d = await writeLayer(source, blobPath, opts);
  const mediaType =
    opts.mediaType ?? (opts.compression === 'none' ? LayerMediaType.ociTar : LayerMediaType.ociGzip);
  return fileLayer(blobPath, { ...d, mediaType });
}
