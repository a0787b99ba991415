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

/**
 * Told as blobs move (D-420), for progress lines. `where` is `<registry>/<repository>`; `blob` is the
 * digest, or, for a streaming upload (early.ts), the path of the file being followed: its digest is only
 * known at the end. Events of one blob come in order: `start`, `sent` (bytes of the current attempt so
 * far), then `done`; or `done` alone for a blob already in the repository or mounted into it. A blob whose
 * upload failed gets no `done`.
 */
export interface UploadObserver {
  start(where: string, blob: string, size: number | undefined): void;
  sent(where: string, blob: string, bytes: number): void;
  done(where: string, blob: string, outcome: 'existing' | 'mounted' | 'uploaded', size: number): void;
}
