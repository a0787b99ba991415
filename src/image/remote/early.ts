import { createReadStream } from 'node:fs';
import { limiter, messageOf } from '../../platform/index.ts';
import { type Reference, toReference } from '../reference.ts';
import {
  type BlobSource,
  cancelUpload,
  headBlob,
  pushBlob,
  recordInRepository,
  startUpload,
} from './blob.ts';
import { RegistryClient } from './client.ts';
import { integrityError } from './errors.ts';
import { discard, header } from './http.ts';
import { type RemoteOptions, type ResolvedOptions, resolveOptions } from './options.ts';

/**
 * Blobs pushed to an image's repository before the image is written (D-382, D-383): while a layer is
 * still being compressed (a streaming upload that follows its temp file), or as soon as it is made. Each
 * attempt is recorded in the session (`blobs`, by repository and digest) and the image write
 * ({@link pushBlobs}) only waits for it: a blob that got there is not checked or sent again; one whose
 * early upload failed is pushed the ordinary way (HEAD, then a monolithic PUT, with retries).
 */

/** Session key of a blob in a repository. */
export const blobKey = (registry: string, repository: string, digest: string) =>
  `${registry}/${repository}@${digest}`;

/** A streaming upload of a blob that is being written to a file. */
export interface FollowedUpload {
  /** The first `bytes` bytes of the file are on disk. */
  grow(bytes: number): void;
  /**
   * The file is complete. True when a streaming upload is under way (it finishes in the background with
   * `PUT ?digest=`, or stops early when a HEAD finds the blob in the repository, D-438; the image write
   * waits for it); false when the blob stayed under the streaming threshold (push it with
   * {@link EarlyUploads.push}).
   */
  finish(digest: string, size: number): boolean;
  /** The file will not be completed (the layer failed): the upload session is cancelled. */
  abort(): void;
}

/** Early uploads into one repository. */
export interface EarlyUploads {
  readonly reference: Reference;
  /** Follows the blob being written to `path`. */
  follow(path: string): FollowedUpload;
  /** Pushes a complete blob now, in the background (HEAD first, bounded concurrency). */
  push(blob: BlobSource): void;
}

/** Options of {@link earlyUploads}. */
export interface EarlyOptions extends RemoteOptions {
  /** Bytes on disk before a streaming upload starts, and the least bytes per PATCH but the last (8 MiB). */
  readonly minChunk?: number;
  /** The most bytes per PATCH (64 MiB). */
  readonly maxChunk?: number;
  /** Told when a streaming upload failed and the blob falls back to the ordinary push. */
  readonly onFallback?: (path: string, error: unknown) => void;
}

/** PATCHes bytes [offset, offset + n) of `path`; returns the next upload URL. */
async function patchRange(
  client: RegistryClient,
  url: URL,
  path: string,
  offset: number,
  n: number,
  signal: AbortSignal,
) {
  const last = offset + n - 1;
  const res = await client.request({
    method: 'PATCH',
    path: url,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(n),
      'content-range': `${offset}-${last}`,
    },
    body: async () => createReadStream(path, { start: offset, end: last, highWaterMark: 1 << 20 }),
    op: `upload blob from ${path} (bytes ${offset}-${last})`,
    ok: [202, 204],
    noRetry: true,
    signal,
  });
  await discard(res);
  // distribution answers `Range: 0-<last byte received>`: anything else means the session lost bytes.
  const range = header(res, 'range');
  if (range !== undefined && range !== `0-${last}`)
    throw integrityError(
      client.ctx(`upload blob from ${path}`),
      `the registry has bytes ${range}, sent 0-${last}`,
    );
  const next = header(res, 'location');
  return next === undefined ? url : new URL(next, res.url);
}

class Follower implements FollowedUpload {
  private written = 0;
  private final: { digest: string; size: number } | undefined;
  private aborted = false;
  /** The repository holds the finished blob already (asked when its digest became known). */
  private found = false;
  /** Cancels the PATCH under way, once the blob is found there. */
  private patch: AbortController | undefined;
  private wake: (() => void) | undefined;
  private done: Promise<boolean> | undefined;
  private readonly up: Early;
  private readonly path: string;

  constructor(up: Early, path: string) {
    this.up = up;
    this.path = path;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  grow(bytes: number): void {
    this.written = bytes;
    if (this.done === undefined && bytes >= this.up.minChunk && this.up.streaming) {
      this.done = this.run().then(
        () => true,
        (e) => {
          if (!this.aborted) this.up.fellBack(this.path, e);
          return false;
        },
      );
    }
    this.notify();
  }

  finish(digest: string, size: number): boolean {
    this.final = { digest, size };
    this.notify();
    if (this.done === undefined) return false;
    // The digest is known only now (D-382, D-438): if the repository holds the blob already (another image's
    // layer, a build whose image was not kept), what is not yet sent is not sent at all.
    headBlob(this.up.client, digest).then(
      (there) => {
        if (there === undefined) return;
        this.found = true;
        this.patch?.abort();
        this.notify();
      },
      () => {}, // not known: the upload goes on
    );
    this.up.record(digest, this.done);
    return true;
  }

  abort(): void {
    this.aborted = true;
    this.notify();
  }

  private async run(): Promise<void> {
    const { client } = this.up;
    const location = await startUpload(client, undefined, true);
    if (location === undefined) throw new Error('the registry answered a plain upload start with 201');
    const seen = client.opts.uploads;
    const where = `${client.registry}/${client.repository}`;
    seen?.start(where, this.path, undefined);
    let url = location;
    let offset = 0;
    try {
      let final: { digest: string; size: number } | undefined; // set when the last byte is sent
      for (;;) {
        while (!this.aborted && this.final === undefined && this.written - offset < this.up.minChunk)
          await new Promise<void>((r) => (this.wake = r));
        if (this.aborted) throw new Error('the layer was not completed');
        if (this.found) break;
        const end = this.final?.size ?? this.written;
        const n = Math.min(end - offset, this.up.maxChunk);
        if (n > 0) {
          this.patch = new AbortController();
          try {
            url = await patchRange(client, url, this.path, offset, n, this.patch.signal);
          } catch (e) {
            if (this.found) break;
            throw e;
          } finally {
            this.patch = undefined;
          }
          offset += n;
          seen?.sent(where, this.path, offset);
        } else if (this.final !== undefined) {
          final = this.final;
          break;
        }
      }
      if (final === undefined) {
        // Found there: the session is cancelled (best effort: a PATCH cut short may have moved it on).
        const f = this.final as { digest: string; size: number };
        await cancelUpload(client, url).catch(() => {});
        recordInRepository(client, this.path, f.digest, 'existing', f.size);
        return;
      }
      const put = new URL(url);
      put.searchParams.set('digest', final.digest);
      const res = await client.request({
        method: 'PUT',
        path: put,
        headers: { 'content-length': '0' },
        op: `finish upload of blob ${final.digest}`,
        ok: [201, 204],
        noRetry: true,
      });
      await discard(res);
      recordInRepository(client, this.path, final.digest, 'uploaded', final.size);
    } catch (e) {
      await cancelUpload(client, url).catch(() => {});
      throw e;
    }
  }
}

class Early implements EarlyUploads {
  readonly reference: Reference;
  readonly client: RegistryClient;
  readonly minChunk: number;
  readonly maxChunk: number;
  /** False once a streaming upload failed: the rest of this run's blobs use the ordinary push. */
  streaming = true;
  private readonly opts: ResolvedOptions;
  private readonly limit: <R>(f: () => Promise<R>) => Promise<R>;
  private readonly onFallback: ((path: string, error: unknown) => void) | undefined;

  constructor(reference: Reference, o: EarlyOptions) {
    this.reference = reference;
    this.opts = resolveOptions(o);
    this.client = new RegistryClient(reference.registry, reference.repository, this.opts, 'push');
    this.minChunk = Math.max(1, o.minChunk ?? 8 << 20);
    this.maxChunk = Math.max(this.minChunk, o.maxChunk ?? 64 << 20);
    this.limit = limiter(this.opts.concurrency, this.opts.signal ? { signal: this.opts.signal } : {});
    this.onFallback = o.onFallback;
  }

  record(digest: string, done: Promise<boolean>): void {
    this.opts.session.blobs.set(blobKey(this.reference.registry, this.reference.repository, digest), done);
  }

  fellBack(path: string, e: unknown): void {
    this.streaming = false;
    this.onFallback?.(path, e);
  }

  follow(path: string): FollowedUpload {
    return new Follower(this, path);
  }

  push(blob: BlobSource): void {
    const done = this.limit(() => pushBlob(this.client, blob)).then(
      () => true,
      (e) => {
        this.onFallback?.(blob.digest, new Error(messageOf(e)));
        return false;
      },
    );
    this.record(blob.digest, done);
  }
}

/** Early uploads into `reference`'s repository (give the same `session` to the image write). */
export function earlyUploads(reference: string | Reference, options: EarlyOptions): EarlyUploads {
  return new Early(toReference(reference), options);
}
