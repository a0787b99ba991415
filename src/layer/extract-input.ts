import { pipeline, type Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { LifecycleError } from '../platform/index.ts';
import { Digester, digestMismatch, parseDigest } from './verify.ts';

/** The uncompressed tar of a layer stream, and its digests once it has been read to the end. */
export interface TarInput {
  readonly tar: Readable;
  /** Digests and size after the stream ended; rejects when an expectation does not hold. */
  result(): Promise<{ diffID: string; digest: string; size: number }>;
}

function hashing(d: Digester, limit?: number): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      d.update(chunk);
      if (limit !== undefined && d.size > limit) {
        cb(
          new LifecycleError(
            'ERR_SIZE_MISMATCH',
            'failed',
            `expected layer to be ${limit} bytes; found more`,
          ),
        );
        return;
      }
      cb(null, chunk);
    },
  });
}

/** First chunk of a paused stream, put back; null for an empty stream. */
async function peek(r: Readable): Promise<Buffer | null> {
  for (;;) {
    // A stream that failed (or closed) before we looked will emit nothing more: don't wait for it.
    if (r.errored) throw r.errored;
    if (r.destroyed) return null;
    const chunk = r.read() as Buffer | null;
    if (chunk !== null) {
      r.unshift(chunk);
      return chunk;
    }
    if (r.readableEnded) return null;
    // Wait for data, the end, an error or a close (a destroy without error emits only 'close').
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        r.off('readable', ok).off('end', ok).off('close', ok).off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const ok = () => done();
      r.once('readable', ok).once('end', ok).once('close', ok).once('error', done);
    });
  }
}

/**
 * Hash the raw stream (digest, size), gunzip it when it is gzip (by option or magic bytes), and hash the
 * tar (diffID). Expected values are checked in `result()` after the last byte.
 */
export async function tarStreamOf(
  stream: Readable,
  opts: {
    readonly expectDigest?: string;
    readonly expectSize?: number;
    readonly expectDiffID?: string;
    readonly compression?: 'auto' | 'gzip' | 'none';
  },
): Promise<TarInput> {
  const outer = new Digester(opts.expectDigest ? parseDigest(opts.expectDigest).algorithm : 'sha256');
  if (opts.expectDiffID) parseDigest(opts.expectDiffID);
  const raw = pipeline(stream, hashing(outer, opts.expectSize), () => {});
  let gzip = opts.compression === 'gzip';
  if (opts.compression === undefined || opts.compression === 'auto') {
    const first = await peek(raw);
    gzip = first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  }
  const inner = gzip ? new Digester() : undefined;
  const tar = inner ? pipeline(raw, createGunzip(), hashing(inner), () => {}) : raw;
  return {
    tar,
    async result() {
      await finished(tar);
      const digest = outer.digest();
      const diffID = inner ? inner.digest() : digest;
      if (opts.expectSize !== undefined && outer.size !== opts.expectSize) {
        throw new LifecycleError(
          'ERR_SIZE_MISMATCH',
          'failed',
          `expected layer to be ${opts.expectSize} bytes; found ${outer.size}`,
        );
      }
      if (opts.expectDigest !== undefined && digest !== opts.expectDigest) {
        throw digestMismatch('layer', opts.expectDigest, digest);
      }
      if (opts.expectDiffID !== undefined && diffID !== opts.expectDiffID) {
        throw digestMismatch('layer contents', opts.expectDiffID, diffID);
      }
      return { diffID, digest, size: outer.size };
    },
  };
}
