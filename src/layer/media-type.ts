import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { LifecycleError } from '../platform/index.ts';
import { verifyDigest } from './verify.ts';

/**
 * Layer media types and the one decompression path for layer blobs (as go-containerregistry's
 * `partial` package: one classifier, one way from a compressed blob to its verified tar). Every layer
 * source (registry, OCI layout, files, memory) uses these (D-216).
 */

/** The layer media types the lifecycle knows (OCI image-spec "Layer", Docker image manifest v2.2). */
export const LayerMediaType = {
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociNondistributableTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** How a layer blob is compressed. */
export type LayerCompression = 'none' | 'gzip' | 'zstd';

const COMPRESSION: Readonly<Record<string, LayerCompression>> = {
  [LayerMediaType.ociTar]: 'none',
  [LayerMediaType.ociNondistributableTar]: 'none',
  [LayerMediaType.dockerTar]: 'none',
  [LayerMediaType.ociGzip]: 'gzip',
  [LayerMediaType.ociNondistributableGzip]: 'gzip',
  [LayerMediaType.dockerGzip]: 'gzip',
  [LayerMediaType.dockerForeignGzip]: 'gzip',
  [LayerMediaType.ociZstd]: 'zstd',
  [LayerMediaType.ociNondistributableZstd]: 'zstd',
};

/** The compression of a layer media type, or undefined when it is not a layer type the lifecycle knows. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return COMPRESSION[mediaType];
}

/** zstd decompression, where the Node.js runtime has it (22.15 and later). */
function zstdDecompressor(): NodeJS.ReadWriteStream | undefined {
  const make = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
    .createZstdDecompress;
  return make?.();
}

/**
 * The uncompressed tar of a layer blob stream (itself verified by the caller), verified against
 * `diffID` while it streams. `what` names the layer and where it comes from, for errors.
 * @throws LifecycleError `ERR_LAYER_MEDIA_TYPE` for a media type that cannot be decompressed here.
 */
export function decompressLayer(blob: Readable, mediaType: string, diffID: string, what: string): Readable {
  const compression = layerCompression(mediaType);
  if (compression === 'none') return verifyDigest(blob, diffID, undefined, `${what} (uncompressed)`);
  const inflate =
    compression === 'gzip' ? zlib.createGunzip() : compression === 'zstd' ? zstdDecompressor() : undefined;
  if (inflate === undefined) {
    blob.destroy();
    throw new LifecycleError(
      'ERR_LAYER_MEDIA_TYPE',
      'failed',
      `${what}: cannot decompress media type ${mediaType}` +
        (compression === 'zstd' ? ' with this Node.js runtime (zstd needs Node.js 22.15 or later)' : '') +
        '; use an image whose layers are gzip-compressed or plain tars',
    );
  }
  blob.on('error', (e) => (inflate as unknown as Readable).destroy(e));
  return verifyDigest(blob.pipe(inflate) as unknown as Readable, diffID, undefined, `${what} (uncompressed)`);
}
