/** Counters of what a push moved (mutable; pass one in `RemoteOptions.stats` and read it afterwards). */
export interface UploadStats {
  /** Blobs whose bytes were uploaded. */
  blobsUploaded: number;
  /** Bytes of the blobs uploaded (completed uploads only). */
  bytesUploaded: number;
  /** Bytes written in failed upload attempts that were retried. */
  bytesRetried: number;
  /** Blobs already present in the target repository (found by HEAD). */
  blobsExisting: number;
  /** Blobs mounted from another repository of the same registry. */
  blobsMounted: number;
  /** Manifests written. */
  manifestsPut: number;
  /** Requests retried after a transient failure. */
  retries: number;
}

/** Fresh zeroed counters. */
export function createUploadStats(): UploadStats {
  return {
    blobsUploaded: 0,
    bytesUploaded: 0,
    bytesRetried: 0,
    blobsExisting: 0,
    blobsMounted: 0,
    manifestsPut: 0,
    retries: 0,
  };
}
