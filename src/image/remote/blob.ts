import { PassThrough, type Readable } from 'node:stream';
import { LifecycleError } from '../../platform/index.ts';
import type { RegistryClient } from './client.ts';
import { integrityError, isRetryableNetworkError } from './errors.ts';
import { discard, header } from './http.ts';
import { repositoryState } from './new-repo.ts';
import { backoffDelay, sleep } from './retry.ts';

/** Blobs larger than this are checked before an upload even in a repository that did not exist (D-434). */
const CHECK_ALWAYS = 4 << 20;

function gaveUp(e: unknown, attempts: number): unknown {
  if (!(e instanceof LifecycleError)) return e;
  return new LifecycleError(e.code, e.exitCode, `${e.message} (gave up after ${attempts} upload attempts)`, {
    cause: e.cause,
  });
}

/** Size of a blob in the client's repository, or undefined when it is not there. */
export async function headBlob(client: RegistryClient, digest: string): Promise<number | undefined> {
  const res = await client.request({
    method: 'HEAD',
    path: client.path(`blobs/${digest}`),
    op: `check blob ${digest}`,
    ok: [200, 404],
  });
  await discard(res);
  if (res.status === 404) return undefined;
  const len = Number(header(res, 'content-length'));
  return Number.isFinite(len) ? len : -1;
}

/** A blob to upload: identity and a way to open its bytes (once per attempt). */
export interface BlobSource {
  readonly digest: string;
  readonly size: number;
  open(): Promise<Readable>;
}

/** Outcome of `pushBlob`. */
export type PushOutcome = 'existing' | 'mounted' | 'uploaded';

function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

/** Starts an upload session (optionally as a cross-repository mount); undefined location = mounted. */
export async function startUpload(
  client: RegistryClient,
  mountFrom?: { digest: string; repository: string },
  noRetry = false,
): Promise<URL | undefined> {
  let path = client.path('blobs/uploads/');
  if (mountFrom !== undefined)
    path += `?mount=${encodeURIComponent(mountFrom.digest)}&from=${encodeURIComponent(mountFrom.repository)}`;
  const res = await client.request({
    method: 'POST',
    path,
    headers: { 'content-length': '0' },
    op:
      mountFrom === undefined
        ? 'start blob upload'
        : `mount blob ${mountFrom.digest} from ${mountFrom.repository}`,
    ok: [201, 202],
    noRetry,
  });
  await discard(res);
  if (res.status === 201) return undefined;
  const location = header(res, 'location');
  if (location === undefined)
    throw integrityError(client.ctx('start blob upload'), 'the upload session has no Location');
  return new URL(location, res.url);
}

/** Cancels an upload session (best effort). */
export async function cancelUpload(client: RegistryClient, location: URL): Promise<void> {
  const res = await client.request({
    method: 'DELETE',
    path: location,
    op: 'cancel blob upload',
    ok: [200, 202, 204, 404],
    noRetry: true,
  });
  await discard(res);
}

/** Counts bytes flowing through (for stats), without copying. */
function counting(src: Readable, onBytes: (n: number) => void): Readable {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  src.on('data', (c: Buffer) => onBytes(c.length));
  src.on('error', (e) => pass.destroy(e));
  pass.on('close', () => src.destroy());
  src.pipe(pass);
  return pass;
}

async function uploadMonolithic(
  client: RegistryClient,
  location: URL,
  blob: BlobSource,
  onBytes: (n: number) => void,
): Promise<void> {
  const res = await client.request({
    method: 'PUT',
    path: withDigest(location, blob.digest),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: async () => counting(await blob.open(), onBytes),
    op: `upload blob ${blob.digest}`,
    ok: [201, 204],
    noRetry: true,
  });
  await discard(res);
}

/** Reads the next `n` bytes of a stream (fewer only at its end). */
async function readChunk(it: AsyncIterator<Buffer>, pending: Buffer[], n: number): Promise<Buffer> {
  let have = pending.reduce((a, b) => a + b.length, 0);
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    pending.push(r.value);
    have += r.value.length;
  }
  const all = Buffer.concat(pending.splice(0));
  if (all.length > n) pending.push(all.subarray(n));
  return all.subarray(0, n);
}

async function uploadChunked(
  client: RegistryClient,
  location: URL,
  blob: BlobSource,
  onBytes: (n: number) => void,
): Promise<void> {
  const stream = await blob.open();
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const pending: Buffer[] = [];
  let url = location;
  let offset = 0;
  try {
    for (let guard = 0; offset < blob.size && guard <= blob.size; guard++) {
      const chunk = await readChunk(it, pending, Math.min(client.opts.chunkSize, blob.size - offset));
      if (chunk.length === 0) break;
      const res = await client.request({
        method: 'PATCH',
        path: url,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(chunk.length),
          'content-range': `${offset}-${offset + chunk.length - 1}`,
        },
        body: chunk,
        op: `upload blob ${blob.digest} (bytes ${offset}-${offset + chunk.length - 1})`,
        ok: [202, 204],
        noRetry: true,
      });
      await discard(res);
      onBytes(chunk.length);
      offset += chunk.length;
      const next = header(res, 'location');
      if (next !== undefined) url = new URL(next, res.url);
    }
  } finally {
    stream.destroy();
  }
  if (offset !== blob.size)
    throw integrityError(
      client.ctx(`upload blob ${blob.digest}`),
      `the source had ${offset} bytes, expected ${blob.size}`,
    );
  const res = await client.request({
    method: 'PUT',
    path: withDigest(url, blob.digest),
    headers: { 'content-length': '0' },
    op: `finish upload of blob ${blob.digest}`,
    ok: [201, 204],
    noRetry: true,
  });
  await discard(res);
}

/**
 * Records that `digest` is in the client's repository now, and how it got there: the session remembers
 * it (D-434, no HEAD for it again), the counters and the upload observer are told. `blob` is what the
 * observer knows it by: the digest, or the path of a followed file (early.ts).
 */
export function recordInRepository(
  client: RegistryClient,
  blob: string,
  digest: string,
  outcome: PushOutcome,
  size: number,
): void {
  repositoryState(client).pushed.add(digest);
  const stats = client.opts.stats;
  if (outcome === 'existing') stats.blobsExisting++;
  else if (outcome === 'mounted') stats.blobsMounted++;
  else {
    stats.blobsUploaded++;
    stats.bytesUploaded += size;
  }
  client.opts.uploads?.done(`${client.registry}/${client.repository}`, blob, outcome, size);
}

/**
 * Puts a blob into the client's repository, moving as few bytes as possible: HEAD first (existing blobs
 * never move), then a cross-repository mount when `mountFrom` is given, else an upload (monolithic PUT,
 * or PATCH chunks when `opts.chunkSize` > 0). A failed upload restarts from a new session, with backoff.
 */
export async function pushBlob(
  client: RegistryClient,
  blob: BlobSource,
  mountFrom?: string,
): Promise<PushOutcome> {
  const stats = client.opts.stats;
  const seen = client.opts.uploads;
  const where = `${client.registry}/${client.repository}`;
  // D-434: nothing to find in a repository that did not exist, but what this session put there; a blob
  // over CHECK_ALWAYS is checked all the same (a registry may find it by digest across repositories).
  const repo = repositoryState(client);
  const check = blob.size > CHECK_ALWAYS || !(await repo.isNew);
  const there =
    repo.pushed.has(blob.digest) || (check && (await headBlob(client, blob.digest)) !== undefined);
  if (there) {
    recordInRepository(client, blob.digest, blob.digest, 'existing', blob.size);
    return 'existing';
  }
  const policy = client.opts.retry;
  for (let attempt = 1; ; attempt++) {
    let sent = 0;
    try {
      const mount =
        mountFrom !== undefined && attempt === 1 ? { digest: blob.digest, repository: mountFrom } : undefined;
      const location = await startUpload(client, mount, true);
      if (location === undefined) {
        recordInRepository(client, blob.digest, blob.digest, 'mounted', blob.size);
        return 'mounted';
      }
      seen?.start(where, blob.digest, blob.size);
      const onBytes = (n: number) => {
        sent += n;
        seen?.sent(where, blob.digest, sent);
      };
      if (client.opts.chunkSize > 0) await uploadChunked(client, location, blob, onBytes);
      else await uploadMonolithic(client, location, blob, onBytes);
      recordInRepository(client, blob.digest, blob.digest, 'uploaded', blob.size);
      return 'uploaded';
    } catch (e) {
      stats.bytesRetried += sent;
      const code = (e as { code?: string }).code;
      const transient =
        code === 'ERR_REGISTRY_UNAVAILABLE' ||
        code === 'ERR_REGISTRY_UNREACHABLE' ||
        isRetryableNetworkError(e);
      if (client.opts.signal?.aborted || !transient) throw e;
      if (attempt >= policy.attempts) throw gaveUp(e, attempt);
      stats.retries++;
      await sleep(backoffDelay(policy, attempt), client.opts.signal);
    }
  }
}
