import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as remote from '../../src/image/remote/index.ts';
import type { Layer } from '../../src/image/types.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { memImage, sha, tarOf } from './helpers.ts';

// D-382/D-383: blobs sent before the image is written — streamed while their file grows (POST, PATCH as
// bytes arrive, PUT ?digest=), or pushed as soon as they are made — and found there by the write.
describe('remote.earlyUploads (fault proxy, real registry)', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  let dir: string;
  let n = 0;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    dir = await mkdtemp(join(tmpdir(), 'early-test-'));
  });
  beforeEach(() => {
    proxy.clearRules();
    proxy.log.length = 0;
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A gzip layer of `mib` MiB of incompressible bytes, as a file, and the in-memory image holding it. */
  const bigLayer = async (mib: number) => {
    const tag = ++n;
    const bytes = createCipheriv('aes-128-ctr', Buffer.alloc(16, tag), Buffer.alloc(16)).update(
      Buffer.alloc(mib << 20),
    );
    const tar = await tarOf({ [`big-${tag}.bin`]: bytes });
    const blob = gzipSync(tar, { level: 1 });
    const path = join(dir, `layer-${tag}.tgz`);
    const layer: Layer = {
      digest: sha(blob),
      diffID: sha(tar),
      size: blob.length,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      compressed: async () => createReadStream(path),
      uncompressed: async () => Readable.from([tar]),
    };
    return { blob, path, layer, image: memImage([layer], { label: `early-${tag}` }) };
  };

  /** Bounded wait for the proxy to have answered a request matching `method` (not a timing assertion). */
  const seen = async (method: string) => {
    for (let i = 0; i < 200 && !proxy.log.some((e) => e.method === method && e.end !== undefined); i++)
      await new Promise((r) => setTimeout(r, 25));
  };

  /**
   * Writes `blob` to `path` in `parts` pieces, telling `follow` after each, then finishes; with
   * `streamed`, waits after the first half until the registry has received a PATCH.
   */
  const writeGrowing = async (
    f: remote.FollowedUpload,
    path: string,
    blob: Buffer,
    parts: number,
    streamed = false,
  ) => {
    await writeFile(path, '');
    const step = Math.ceil(blob.length / parts);
    for (let o = 0; o < blob.length; o += step) {
      await appendFile(path, blob.subarray(o, o + step));
      f.grow(Math.min(blob.length, o + step));
      if (streamed && o + step >= blob.length / 2 && o < blob.length / 2) await seen('PATCH');
    }
    return f.finish(sha(blob), blob.length);
  };

  const uploadPuts = () => proxy.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/uploads/'));

  it('streams a growing file in PATCH chunks and finishes with PUT ?digest=; the write sends it no more', async () => {
    const { blob, path, image } = await bigLayer(3);
    const session = remote.createSession();
    const up = remote.earlyUploads(`${proxy.host}/early/stream:v1`, { session, minChunk: 512 << 10 });
    assert.equal(await writeGrowing(up.follow(path), path, blob, 6, true), true);
    assert.equal(await session.blobs.get(remote.blobKey(proxy.host, 'early/stream', sha(blob))), true);
    const patches = proxy.log.filter((e) => e.method === 'PATCH');
    assert.ok(patches.length >= 2, `expected several PATCH chunks, got ${patches.length}`);
    assert.ok(
      (patches[0]?.requestBytes ?? 0) < blob.length,
      'the first chunk left before the file was whole',
    );
    assert.equal(
      patches.reduce((a, e) => a + e.requestBytes, 0),
      blob.length,
      'every byte sent once',
    );
    const finish = uploadPuts();
    assert.equal(finish.length, 1);
    assert.match(finish[0]?.path ?? '', new RegExp(`digest=${encodeURIComponent(sha(blob))}`));
    assert.equal(finish[0]?.requestBytes, 0);

    const before = proxy.log.length;
    await remote.write(`${proxy.host}/early/stream:v1`, image, { session });
    const later = proxy.log.slice(before);
    assert.equal(later.filter((e) => e.path.includes(sha(blob))).length, 0, 'not checked or sent again');
    const got = await remote.image(`${reg.host}/early/stream:v1`);
    assert.equal(got.layers[0]?.digest, sha(blob));
    for await (const _ of await got.layers[0]!.uncompressed()); // verifies the diffID
  });

  it('falls back to the monolithic PUT when the registry refuses PATCH, with the same digest', async () => {
    const { blob, path, image } = await bigLayer(2);
    proxy.addRule({
      method: 'PATCH',
      path: '/blobs/uploads/',
      action: { kind: 'status', status: 405 },
      times: 50,
    });
    const session = remote.createSession();
    const fell: unknown[] = [];
    const up = remote.earlyUploads(`${proxy.host}/early/refused:v1`, {
      session,
      minChunk: 512 << 10,
      onFallback: (_what, e) => fell.push(e),
    });
    assert.equal(await writeGrowing(up.follow(path), path, blob, 4), true);
    assert.equal(await session.blobs.get(remote.blobKey(proxy.host, 'early/refused', sha(blob))), false);
    assert.equal(fell.length, 1);
    assert.match(String((fell[0] as Error).message), /405/);
    assert.ok(proxy.count('DELETE', '/blobs/uploads/') >= 1, 'the refused session is cancelled');

    const w = await remote.write(`${proxy.host}/early/refused:v1`, image, { session });
    assert.equal(w.digest, image.digest);
    const whole = uploadPuts().filter((e) => e.requestBytes === blob.length);
    assert.equal(whole.length, 1, 'one monolithic PUT with the whole blob');
    const got = await remote.image(`${reg.host}/early/refused:v1`);
    for await (const _ of await got.layers[0]!.uncompressed());
    // After a refusal the same run no longer tries to stream.
    const next = await bigLayer(2);
    assert.equal(await writeGrowing(up.follow(next.path), next.path, next.blob, 4), false);
  });

  it('a blob under the threshold is not streamed; push() sends it now and the write skips it', async () => {
    const { blob, path, layer, image } = await bigLayer(1);
    const session = remote.createSession();
    const up = remote.earlyUploads(`${proxy.host}/early/push:v1`, { session });
    assert.equal(await writeGrowing(up.follow(path), path, blob, 2), false);
    assert.equal(proxy.log.length, 0, 'nothing sent while the file grew');
    up.push({ digest: layer.digest, size: layer.size, open: () => layer.compressed() });
    assert.equal(await session.blobs.get(remote.blobKey(proxy.host, 'early/push', layer.digest)), true);
    assert.equal(uploadPuts().length, 1);
    await remote.write(`${proxy.host}/early/push:v1`, image, { session });
    assert.equal(uploadPuts().length, 2, 'only the config is uploaded by the write');
  });

  it('stops streaming a blob the repository holds already, once its digest is known (D-438)', async () => {
    const { blob, path } = await bigLayer(3);
    const digest = sha(blob);
    const first = remote.createSession();
    remote
      .earlyUploads(`${reg.host}/early/found:v0`, { session: first })
      .push({ digest, size: blob.length, open: async () => Readable.from([blob]) });
    assert.equal(await first.blobs.get(remote.blobKey(reg.host, 'early/found', digest)), true);

    const session = remote.createSession();
    const stats = remote.createUploadStats();
    const up = remote.earlyUploads(`${proxy.host}/early/found:v1`, { session, stats, minChunk: 512 << 10 });
    // The chunk after the first would hang: only the HEAD's answer ends it.
    proxy.addRule({
      method: 'PATCH',
      path: '/blobs/uploads/',
      action: { kind: 'stall', ms: 30_000 },
      skip: 1,
    });
    const f = up.follow(path);
    await writeFile(path, blob.subarray(0, 1 << 20));
    f.grow(1 << 20);
    await seen('PATCH');
    await appendFile(path, blob.subarray(1 << 20));
    f.grow(blob.length);
    assert.equal(f.finish(digest, blob.length), true);
    assert.equal(await session.blobs.get(remote.blobKey(proxy.host, 'early/found', digest)), true);
    assert.deepEqual([stats.blobsExisting, stats.blobsUploaded], [1, 0]);
    assert.equal(proxy.count('HEAD', digest), 1, 'asked once, when the digest was known');
    assert.equal(uploadPuts().length, 0, 'the upload was not finished');
    // The rest went out in no PATCH, or in one that the HEAD's answer cut short (whichever came first).
    const answered = proxy.log.filter((e) => e.method === 'PATCH' && e.status === 202);
    assert.deepEqual(
      answered.map((e) => e.requestBytes),
      [1 << 20],
    );
  });

  it('an aborted file cancels its session and records nothing', async () => {
    const { blob, path } = await bigLayer(2);
    const session = remote.createSession();
    const up = remote.earlyUploads(`${proxy.host}/early/abort:v1`, { session, minChunk: 512 << 10 });
    const f = up.follow(path);
    await writeFile(path, blob.subarray(0, 1 << 20));
    f.grow(1 << 20);
    f.abort();
    for (let i = 0; i < 100 && proxy.count('DELETE', '/blobs/uploads/') === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(proxy.count('DELETE', '/blobs/uploads/'), 1);
    assert.equal(session.blobs.size, 0);
    assert.equal(uploadPuts().length, 0);
  });
});
