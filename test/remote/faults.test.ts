import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { collect, memImage, memLayer, skopeo } from './helpers.ts';

const retry = { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 };
/** Deterministic incompressible bytes. */
function pattern(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i * 32 < n; i++)
    createHash('sha256')
      .update(`${seed}:${i}`)
      .digest()
      .copy(out, i * 32);
  return out;
}

describe('remote: retries and clear errors under injected faults', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
  });
  beforeEach(() => proxy.clearRules());
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('retries 503 and 429 (Retry-After) and the push completes', async () => {
    const layer = await memLayer({ 'f1.bin': pattern(50_000, 31) });
    const img = memImage([layer], { label: 'f1' });
    // The repository exists, so each blob is checked first (D-434) and the HEAD's 429 is met.
    await remote.write(
      `${reg.host}/faults/one:seed`,
      memImage([await memLayer({ seed: 'x' })], { label: 'seed' }),
    );
    proxy.addRule({
      method: 'PUT',
      path: '/blobs/uploads/',
      action: { kind: 'status', status: 503 },
      times: 2,
    });
    proxy.addRule({
      method: 'HEAD',
      path: '/blobs/',
      action: { kind: 'status', status: 429, retryAfter: '0' },
      times: 1,
    });
    proxy.addRule({ method: 'PUT', path: '/manifests/', action: { kind: 'status', status: 502 }, times: 1 });
    const stats = remote.createUploadStats();
    const res = await remote.write(`${proxy.host}/faults/one:v1`, img, { retry, stats });
    assert.equal(res.digest, img.digest);
    assert.ok(stats.retries >= 4, `retries: ${stats.retries}`);
    assert.equal(stats.blobsUploaded, 2);
    assert.equal(
      JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/faults/one:v1`)).Digest,
      img.digest,
    );
  });

  it('restarts an upload whose connection is reset mid-body, from a new session', async () => {
    const layer = await memLayer({ 'f2.bin': pattern(400_000, 17) });
    const img = memImage([layer], { label: 'f2' });
    proxy.addRule({
      method: 'PUT',
      path: '/blobs/uploads/',
      action: { kind: 'reset-after', bytes: 100_000 },
      times: 2,
    });
    const stats = remote.createUploadStats();
    const res = await remote.write(`${proxy.host}/faults/two:v1`, img, { retry, stats });
    assert.equal(res.digest, img.digest);
    assert.ok(stats.bytesRetried >= 100_000, `bytesRetried ${stats.bytesRetried}`);
    const got = await remote.image(`${reg.host}/faults/two:v1`);
    assert.deepEqual(await collect(await got.layers[0]!.uncompressed()), layer.tar);
  });

  it('same for chunked uploads', async () => {
    const layer = await memLayer({ 'f3.bin': pattern(300_000, 13) });
    const img = memImage([layer], { label: 'f3' });
    proxy.addRule({
      method: 'PATCH',
      path: '/blobs/uploads/',
      action: { kind: 'reset-after', bytes: 10_000 },
      skip: 1,
    });
    const res = await remote.write(`${proxy.host}/faults/three:v1`, img, { retry, chunkSize: 65_536 });
    assert.equal(res.digest, img.digest);
    const got = await remote.image(`${reg.host}/faults/three:v1`);
    assert.deepEqual(await collect(await got.layers[0]!.compressed()), layer.blob);
  });

  it('retries resets and stalls on reads', async () => {
    proxy.addRule({ method: 'GET', path: '/manifests/', action: { kind: 'reset' }, times: 1 });
    proxy.addRule({ method: 'GET', path: '/blobs/sha256:', action: { kind: 'stall', ms: 8_000 }, times: 2 });
    const stats = remote.createUploadStats();
    const got = await remote.image(`${proxy.host}/faults/two:v1`, { retry, idleTimeoutMs: 1000, stats });
    assert.ok((await collect(await got.layers[0]!.compressed())).length > 0);
    assert.ok(stats.retries >= 3, `retries: ${stats.retries}`);
  });

  it('resumes a blob download cut or stalled mid-body with a Range request, verified end to end', async () => {
    const layer = await memLayer({ 'f7.bin': pattern(300_000, 5) });
    const img = memImage([layer], { label: 'f7' });
    await remote.write(`${reg.host}/faults/seven:v1`, img);
    const path = `/blobs/${layer.digest}`;
    proxy.addRule({ method: 'GET', path, action: { kind: 'cut-response', bytes: 50_000 }, times: 1 });
    proxy.addRule({
      method: 'GET',
      path,
      action: { kind: 'stall-response', bytes: 60_000, ms: 8_000 },
      times: 1,
    });
    const stats = remote.createUploadStats();
    const got = await remote.image(`${proxy.host}/faults/seven:v1`, { retry, idleTimeoutMs: 1000, stats });
    assert.deepEqual(await collect(await got.layers[0]!.compressed()), layer.blob);
    assert.ok(stats.retries >= 2, `retries: ${stats.retries}`);
    const gets = proxy.log.filter((e) => e.method === 'GET' && e.path.includes(path));
    assert.ok(gets.length >= 3);
    assert.ok(gets[gets.length - 1]!.responseBytes < layer.size, 'the last request only fetched the rest');
    proxy.addRule({ method: 'GET', path, action: { kind: 'cut-response', bytes: 1000 }, times: 10 });
    await assert.rejects(
      async () => collect(await got.layers[0]!.uncompressed()),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNREACHABLE');
        assert.match(
          e.message,
          new RegExp(
            `registry ${proxy.host}, repository faults/seven: pull blob sha256:\\w+ failed: .* after 4 attempts`,
          ),
        );
        return true;
      },
    );
  });

  it('bounds parallel uploads and can be cancelled with an AbortSignal', async () => {
    const layers = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => memLayer({ [`p${i}.bin`]: pattern(30_000, 100 + i) })),
    );
    const img = memImage(layers, { label: 'parallel' });
    proxy.addRule({ method: 'PUT', path: '/blobs/uploads/', action: { kind: 'delay', ms: 150 }, times: 10 });
    await remote.write(`${proxy.host}/faults/parallel:v1`, img, { retry, concurrency: 2 });
    assert.equal(proxy.maxInFlight('PUT', '/faults/parallel/blobs/uploads/'), 2);
    proxy.clearRules();
    const img2 = memImage([await memLayer({ 'p9.bin': pattern(30_000, 9) })], { label: 'cancel' });
    proxy.addRule({
      method: 'PUT',
      path: '/blobs/uploads/',
      action: { kind: 'stall', ms: 20_000 },
      times: 5,
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(remote.write(`${proxy.host}/faults/cancel:v1`, img2, { retry, signal: ac.signal }), {
      name: 'AbortError',
    });
  });

  it('gives up with a clear error naming registry, repository, status and attempts', async () => {
    const layer = await memLayer({ 'f4.txt': 'x' });
    const img = memImage([layer], { label: 'f4' });
    proxy.addRule({ method: 'PUT', path: '/manifests/', action: { kind: 'status', status: 500 }, times: 10 });
    await assert.rejects(
      remote.write(`${proxy.host}/faults/four:v1`, img, { retry: { ...retry, attempts: 3 } }),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNAVAILABLE');
        assert.equal(
          e.message,
          `registry ${proxy.host}, repository faults/four: push manifest v1 failed with HTTP 500 (UNKNOWN: injected 500) ` +
            'after 3 attempts; the registry is overloaded or failing; retry later',
        );
        return true;
      },
    );
    proxy.clearRules();
    proxy.addRule({ method: 'PUT', path: '/blobs/uploads/', action: { kind: 'reset' }, times: 10 });
    const img2 = memImage([await memLayer({ 'f5.txt': 'y' })], { label: 'f5' });
    await assert.rejects(
      remote.write(`${proxy.host}/faults/five:v1`, img2, { retry: { ...retry, attempts: 2 } }),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNREACHABLE');
        assert.match(
          e.message,
          new RegExp(
            `^registry ${proxy.host}, repository faults/five: upload blob sha256:[0-9a-f]{64} failed: cannot talk to http://${proxy.host}`,
          ),
        );
        assert.match(e.message, /gave up after 2 upload attempts/);
        return true;
      },
    );
  });

  it('retries a reset or early close while reading a manifest or config body (issue 9 item 2)', async () => {
    const layer = await memLayer({ 'f8.bin': pattern(10_000, 8) });
    const img = memImage([layer], { label: 'f8' });
    await remote.write(`${reg.host}/faults/eight:v1`, img);
    const configPath = `/faults/eight/blobs/${img.manifest.config.digest}`;
    proxy.addRule({
      method: 'GET',
      path: '/faults/eight/manifests/v1',
      action: { kind: 'cut-response', bytes: 40 },
    });
    proxy.addRule({ method: 'GET', path: configPath, action: { kind: 'close-response', bytes: 30 } });
    const stats = remote.createUploadStats();
    const n0 = proxy.log.length;
    const got = await remote.image(`${proxy.host}/faults/eight:v1`, { retry, stats });
    assert.equal(got.digest, img.digest);
    assert.deepEqual(got.rawConfig, img.rawConfig);
    assert.equal(stats.retries, 2);
    assert.equal(
      proxy.log.slice(n0).filter((e) => e.fault !== undefined).length,
      2,
      'both faults were injected',
    );

    proxy.addRule({
      method: 'GET',
      path: configPath,
      action: { kind: 'close-response', bytes: 30 },
      times: 10,
    });
    await assert.rejects(remote.image(`${proxy.host}/faults/eight:v1`, { retry }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNREACHABLE');
      assert.match(
        e.message,
        new RegExp(
          `^registry ${proxy.host}, repository faults/eight: pull blob ${img.manifest.config.digest} failed: ` +
            'the connection to .* broke while reading the response \\(\\w+\\) after 4 attempts',
        ),
      );
      return true;
    });
  });

  it('a /v2/ answering 500 is reported as the registry answered it, naming the tag', async () => {
    proxy.addRule({
      method: 'GET',
      path: /^\/v2\/$/,
      action: {
        kind: 'status',
        status: 500,
        body: '{"errors":[{"code":"UNKNOWN","message":"storage down"}]}',
      },
      times: 4,
    });
    await assert.rejects(remote.image(`${proxy.host}/faults/eight:v1`, { retry }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNAVAILABLE');
      assert.equal(
        e.message,
        `registry ${proxy.host}, repository faults/eight: pull manifest v1 (GET /v2/) failed with HTTP 500 ` +
          '(UNKNOWN: storage down) after 4 attempts; the registry is overloaded or failing; retry later',
      );
      return true;
    });
  });

  it('detects a blob corrupted in registry storage while streaming it', async () => {
    const layer = await memLayer({ 'f6.bin': pattern(20_000, 7) });
    const img = memImage([layer], { label: 'f6' });
    await remote.write(`${reg.host}/faults/six:v1`, img);
    const hex = layer.digest.slice(7);
    const data = join(reg.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(data);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
    writeFileSync(data, bytes);
    const got = await remote.image(`${reg.host}/faults/six:v1`);
    await assert.rejects(collect(await got.layers[0]!.compressed()), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_DIGEST_MISMATCH');
      assert.ok(e.message.includes(`registry ${reg.host}, repository faults/six`), e.message);
      return true;
    });
  });
});
