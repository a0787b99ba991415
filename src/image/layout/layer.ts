import { decompressLayer } from '../../layer/index.ts';
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
      decompressLayer(
        await openBlob(dir, desc, what, signal),
        desc.mediaType,
        diffID,
        `OCI layout ${dir}: ${what}`,
      ),
  };
}
