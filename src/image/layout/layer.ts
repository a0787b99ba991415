import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { verifyDigest } from '../../layer/index.ts';
import { LifecycleError } from '../../platform/index.ts';
import { isGzipLayer, isUncompressedLayer } from '../memory.ts';
import type { Descriptor, Layer } from '../types.ts';
import { blobPath, openBlob } from './blobs.ts';

/** A layer whose blob is a file of an OCI layout (so sinks on the same filesystem can hard-link it). */
export interface LayoutLayer extends Layer {
  /** Path of the blob file (it may be absent in a sparse layout). */
  readonly file: string;
}

/** The layer described by `desc` (with uncompressed digest `diffID`) in the layout `dir`; nothing is read yet. */
export function layoutLayer(dir: string, desc: Descriptor, diffID: string): LayoutLayer {
  const what = `layer ${desc.digest}`;
  return {
    digest: desc.digest,
    diffID,
    size: desc.size,
    mediaType: desc.mediaType,
    file: blobPath(dir, desc.digest),
    compressed: (signal) => openBlob(dir, desc, what, signal),
    uncompressed: async (signal) =>
      decompressed(
        await openBlob(dir, desc, what, signal),
        desc.mediaType,
        diffID,
        `OCI layout ${dir}: ${what}`,
      ),
  };
}

/**
 * The uncompressed tar of a (verified) layer blob stream, itself verified against `diffID`.
 * Gzip and plain tars are supported; zstd where the Node runtime has it.
 */
export function decompressed(blob: Readable, mediaType: string, diffID: string, what: string): Readable {
  if (isUncompressedLayer(mediaType)) return verifyDigest(blob, diffID, undefined, `${what} (uncompressed)`);
  let inflate: NodeJS.ReadWriteStream;
  if (isGzipLayer(mediaType)) {
    inflate = zlib.createGunzip();
  } else {
    const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
      .createZstdDecompress;
    if (!mediaType.endsWith('+zstd') || zstd === undefined) {
      blob.destroy();
      throw new LifecycleError(
        'ERR_LAYER_MEDIA_TYPE',
        'failed',
        `${what}: cannot decompress media type ${mediaType} with this Node.js runtime; ` +
          'use an image whose layers are gzip-compressed or plain tars',
      );
    }
    inflate = zstd();
  }
  blob.on('error', (e) => (inflate as unknown as Readable).destroy(e));
  return verifyDigest(blob.pipe(inflate) as unknown as Readable, diffID, undefined, `${what} (uncompressed)`);
}
