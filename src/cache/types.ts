import type { Readable } from 'node:stream';
import type { Layer } from '../image/index.ts';
import type { CacheMetadata } from './cache-metadata.ts';

/**
 * A layer cache (platform.md "Caching"; docs/reference-behaviour.md §11): a directory (`-cache-dir`) or an
 * image in a registry (`-cache-image`). Reads see the last committed cache; writes go through a
 * {@link CacheWriter} and become visible only when committed.
 */
export interface Cache {
  readonly kind: 'dir' | 'image';
  /** The directory or image reference, for messages. */
  readonly name: string;
  /** False when nothing was ever committed (an empty directory, a missing image). */
  exists(): boolean;
  /** The committed metadata; empty when missing or unreadable. */
  metadata(): Promise<CacheMetadata>;
  /** True when the committed cache holds the layer with this diffID. */
  has(diffID: string): Promise<boolean>;
  /**
   * The uncompressed tar of a cached layer, verified against `diffID` while streaming (the stream errors
   * with `ERR_DIGEST_MISMATCH` instead of ending). A missing layer rejects with `ERR_CACHE_LAYER_MISSING`.
   */
  layer(diffID: string, signal?: AbortSignal): Promise<Readable>;
  /** Starts the next version of the cache (one writer per open cache). */
  startWrite(): CacheWriter;
}

/** What a layer can be added from. */
export type CacheLayerSource =
  /** An uncompressed tar stream. */
  | Readable
  /** An image layer (its uncompressed tar is stored; for the image cache its blob is reused as is). */
  | Layer
  /** A tar file on disk. */
  | { readonly tarPath: string };

/**
 * Builds the next version of a cache. Nothing is visible to readers until {@link commit}; a process
 * killed at any point before or during commit leaves the previous version usable.
 */
export interface CacheWriter {
  /**
   * Stores a layer and returns its diffID. `diffID`, when given, is checked against the bytes
   * (`ERR_DIGEST_MISMATCH`); storing the same diffID twice is a no-op.
   */
  addLayer(from: CacheLayerSource, diffID?: string): Promise<string>;
  /**
   * Keeps a layer of the committed cache without copying its bytes (directory: hard link; image: the
   * blob stays in the registry). A layer the committed cache does not have → `ERR_CACHE_LAYER_MISSING`.
   */
  reuseLayer(diffID: string): Promise<void>;
  setMetadata(m: CacheMetadata): Promise<void>;
  /** Publishes the new version atomically. A second commit fails: `cache cannot be modified after commit`. */
  commit(): Promise<void>;
}
