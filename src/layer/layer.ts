import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type Layer, MediaType } from '../image/types.ts';
import { LifecycleError } from '../platform/index.ts';
import { verifyDigest } from './verify.ts';
import { type LayerDigests, type LayerSource, type WriteLayerOptions, writeLayer } from './write.ts';

/** A layer whose blob is a file on disk. */
export interface FileLayer extends Layer {
  /** Path of the blob (gzip, or a plain tar when `mediaType` says so). */
  readonly path: string;
}

function isGzip(mediaType: string): boolean {
  return mediaType.endsWith('gzip');
}

/**
 * A {@link Layer} over a blob file with known identity. Both streams are verified while they are read:
 * `compressed()` against size and digest, `uncompressed()` against the diffID.
 */
export function fileLayer(path: string, d: LayerDigests & { readonly mediaType?: string }): FileLayer {
  const mediaType = d.mediaType ?? MediaType.ociLayerGzip;
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
      const blob = await compressed(signal);
      if (mediaType.endsWith('zstd')) {
        blob.destroy();
        throw new LifecycleError(
          'ERR_LAYER_MEDIA_TYPE',
          'failed',
          `cannot decompress layer ${d.digest}: ${mediaType} is not supported`,
        );
      }
      if (!isGzip(mediaType)) return blob;
      return verifyDigest(
        pipeline(blob, createGunzip(), () => {}),
        d.diffID,
        undefined,
        'layer contents',
      );
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
    opts.mediaType ?? (opts.compression === 'none' ? MediaType.ociLayer : MediaType.ociLayerGzip);
  return fileLayer(blobPath, { ...d, mediaType });
}
