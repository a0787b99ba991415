import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Duplex, PassThrough, Transform, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip, type ZlibOptions } from 'node:zlib';
import { isLifecycleError, LifecycleError, messageOf } from '../platform/index.ts';
import { FileSink } from './file-sink.ts';
import { DEFLATE_MEM_LEVEL, ParallelGzip } from './parallel-gzip.ts';
import { tarChunks } from './tar-writer.ts';
import { type DirSource, type LayerEntry, walkDir } from './walk.ts';

/** What a layer is made from: a directory mapped into the image, or explicit entries in order. */
export type LayerSource = DirSource | Iterable<LayerEntry> | AsyncIterable<LayerEntry>;

/** Where the bytes go: a stream (ended when done) or a file path (created or truncated; removed on failure). */
export type LayerSink = Writable | string;

export interface WriteLayerOptions {
  /** `gzip` (default) or `none` (the sink receives the tar itself; digest = diffID). */
  readonly compression?: 'gzip' | 'none';
  /** gzip level 0–9; default 1 (compression dominates export time, DESIGN.md "Performance design"). */
  readonly gzipLevel?: number;
  /**
   * Compress in independent blocks of `blockSize` uncompressed bytes (default 1 MiB) on `threads` pool
   * threads, pigz-style: one valid gzip member whose bytes depend only on the level and block size, never
   * on the thread count or timing. Default: a single zlib stream.
   */
  readonly parallel?: { readonly blockSize?: number; readonly threads?: number };
  /** Also write the uncompressed tar here, in the same pass (e.g. the cache's copy of the layer). */
  readonly tarSink?: LayerSink;
  /** With a file sink: told the bytes on disk after each write (a streaming upload follows the file, D-382). */
  readonly onFlushed?: (bytes: number) => void;
  /** Told the tar bytes made so far, after each chunk (progress lines, D-384). */
  readonly onProgress?: (tarBytes: number) => void;
  readonly signal?: AbortSignal;
}

/** Identity of a written layer (`sha256:<hex>` digests). */
export interface LayerDigests {
  /** sha256 of the uncompressed tar. */
  readonly diffID: string;
  /** sha256 of the bytes written to the sink. */
  readonly digest: string;
  /** Number of bytes written to the sink. */
  readonly size: number;
}

function isDirSource(s: LayerSource): s is DirSource {
  return typeof (s as DirSource).dir === 'string' && !(Symbol.iterator in s) && !(Symbol.asyncIterator in s);
}

function open(
  sink: LayerSink,
  onFlushed?: (bytes: number) => void,
): { stream: Writable; discard: () => Promise<void> } {
  if (typeof sink !== 'string') return { stream: sink, discard: async () => {} };
  return {
    stream: onFlushed ? new FileSink(sink, onFlushed) : createWriteStream(sink, { highWaterMark: 1 << 20 }),
    discard: () => rm(sink, { force: true }),
  };
}

/** Write `chunk`, waiting for `drain` when the stream is full; rejects when `abort` fires. */
async function put(stream: Writable, chunk: Buffer, abort: AbortSignal): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain', { signal: abort });
}

function writeError(e: unknown): unknown {
  if (isLifecycleError(e) || (e instanceof Error && e.name === 'AbortError')) return e;
  return new LifecycleError('ERR_LAYER_WRITE', 'failed', `failed to write layer: ${messageOf(e)}`, {
    cause: e,
  });
}

function compressor(opts: WriteLayerOptions): Duplex {
  const level = opts.gzipLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new LifecycleError(
      'ERR_LAYER_OPTIONS',
      'failed',
      `gzip level must be an integer 0-9, got ${level}`,
    );
  }
  if (opts.compression === 'none') return new PassThrough({ highWaterMark: 4 << 20 });
  if (opts.parallel) return new ParallelGzip({ level, ...opts.parallel });
  // Queue a few MiB ahead so the main thread prepares the next chunk while zlib compresses this one.
  const zopts = { level, memLevel: DEFLATE_MEM_LEVEL, chunkSize: 64 << 10, writableHighWaterMark: 4 << 20 };
  return createGzip(zopts as ZlibOptions);
}

/**
 * Write a layer in one streaming pass: entries → tar (Go `archive/tar` bytes, normalized mtime and names)
 * → sha256 (diffID) → gzip → sha256 + byte count (digest, size) → sink. Nothing is held in memory
 * beyond a few MiB of buffers. Settles when the sink has received and flushed every byte.
 */
export async function writeLayer(
  source: LayerSource,
  sink: LayerSink,
  opts: WriteLayerOptions = {},
): Promise<LayerDigests> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const entries = isDirSource(source) ? walkDir(source, signal) : source;
  const gz = compressor(opts);
  const out = open(sink, opts.onFlushed);
  const tarOut = opts.tarSink === undefined ? undefined : open(opts.tarSink);
  const none = opts.compression === 'none';
  const diff = createHash('sha256');
  const dig = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!none) dig.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const failed = new AbortController();
  const onAbort = () => failed.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = pipeline(gz, counter, out.stream);
  const tarDone = tarOut ? finished(tarOut.stream) : Promise.resolve();
  done.catch((e) => failed.abort(e));
  tarDone.catch((e) => failed.abort(e));
  let tarBytes = 0;
  try {
    for await (const chunk of tarChunks(entries, signal)) {
      diff.update(chunk);
      tarBytes += chunk.length;
      opts.onProgress?.(tarBytes);
      if (tarOut) await put(tarOut.stream, chunk, failed.signal);
      await put(gz, chunk, failed.signal);
    }
    gz.end();
    tarOut?.stream.end();
    await Promise.all([done, tarDone]);
  } catch (e) {
    const err = failed.signal.aborted && failed.signal.reason !== undefined ? failed.signal.reason : e;
    gz.destroy();
    tarOut?.stream.destroy();
    await Promise.allSettled([done, tarDone]);
    await Promise.allSettled([out.discard(), tarOut?.discard()]);
    throw writeError(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const diffID = `sha256:${diff.digest('hex')}`;
  return { diffID, digest: none ? diffID : `sha256:${dig.digest('hex')}`, size };
}
