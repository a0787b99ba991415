import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { verifyDigest } from '../../layer/index.ts';
import type { RegistryClient } from './client.ts';
import { integrityError, isRetryableNetworkError, networkError } from './errors.ts';
import type { HttpResponse } from './http.ts';
import { backoffDelay, sleep } from './retry.ts';

/** Drops the first `n` bytes (for a server that ignored our Range request and sent everything). */
function skip(n: number): Transform {
  let left = n;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (left >= chunk.length) {
        left -= chunk.length;
        cb();
        return;
      }
      const rest = chunk.subarray(left);
      left = 0;
      cb(null, rest);
    },
  });
}

/**
 * Streams a blob, verified for size and digest while it streams (the stream errors on mismatch). A
 * connection reset or stall mid-body resumes with a `Range` request from the last byte received, with
 * backoff, up to the retry policy's attempts; then the stream errors with a message naming the registry.
 */
export async function getBlob(client: RegistryClient, digest: string, size?: number): Promise<Readable> {
  const op = `pull blob ${digest}`;
  const path = client.path(`blobs/${digest}`);
  const first = await client.request({ method: 'GET', path, op, ok: [200] });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let offset = 0;
  let attempt = 1;
  let current: Readable | undefined;
  out.on('close', () => current?.destroy());

  const follow = (res: HttpResponse, skipBytes: number) => {
    const body: Readable = skipBytes > 0 ? res.body.pipe(skip(skipBytes)) : res.body;
    if (skipBytes > 0) res.body.on('error', (e) => body.destroy(e));
    current = body;
    body.on('data', (c: Buffer) => {
      offset += c.length;
    });
    body.on('end', () => out.end());
    body.on('error', (e) => void resume(e));
    body.pipe(out, { end: false });
  };

  const resume = async (e: unknown) => {
    current?.unpipe(out);
    if (out.destroyed) return;
    const opts = client.opts;
    if (opts.signal?.aborted || !isRetryableNetworkError(e) || attempt >= opts.retry.attempts) {
      out.destroy(networkError(client.ctx(op), first.url, e, attempt));
      return;
    }
    try {
      opts.stats.retries++;
      await sleep(backoffDelay(opts.retry, attempt), opts.signal);
      attempt++;
      const res = await client.request({
        method: 'GET',
        path,
        headers: { range: `bytes=${offset}-` },
        op,
        ok: [200, 206],
      });
      if (out.destroyed) {
        res.body.destroy();
        return;
      }
      follow(res, res.status === 200 ? offset : 0);
    } catch (err) {
      out.destroy(err as Error);
    }
  };

  follow(first, 0);
  return verifyDigest(
    out,
    digest,
    size,
    `blob ${digest} from registry ${client.registry}, repository ${client.repository}`,
  );
}

/** The most bytes read for an image config (the limit every label written by the lifecycle must fit: D-214). */
export const MAX_CONFIG_BYTES = 16 << 20;

/**
 * Reads a small blob (a config) fully and checks its digest; a connection reset or early close while
 * reading it is retried like any transient failure.
 */
export async function getBlobBytes(
  client: RegistryClient,
  digest: string,
  max = MAX_CONFIG_BYTES,
): Promise<Buffer> {
  const op = `pull blob ${digest}`;
  const { bytes } = await client.requestBytes(
    { method: 'GET', path: client.path(`blobs/${digest}`), op, ok: [200] },
    max,
  );
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw integrityError(client.ctx(op), `its content has digest ${actual}`);
  return bytes;
}
