import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { MediaType } from '../../src/image/types.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { collect, type MemLayer, memImage, memLayer, skopeo } from './helpers.ts';

describe('remote: push and pull against a real registry', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  let layers: MemLayer[];
  let tmp: string;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    tmp = mkdtempSync(join(tmpdir(), 'remote-test-'));
    layers = [
      await memLayer({ 'a.txt': 'layer a\n', 'bin/tool': Buffer.alloc(70_000, 7) }),
      await memLayer({ 'b.txt': 'layer b\n' }),
      await memLayer({ 'c.txt': 'layer c, uncompressed\n' }, true),
    ];
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('pushes an OCI image that skopeo reads, and reads it back verified', async () => {
    const img = memImage(layers);
    const stats = remote.createUploadStats();
    const res = await remote.write(`${proxy.host}/app/one:v1`, img, { stats });
    assert.equal(res.digest, img.digest);
    assert.equal(res.size, img.rawManifest.length);
    assert.equal(res.mediaType, MediaType.ociManifest);
    assert.equal(stats.blobsUploaded, 4);
    assert.equal(stats.bytesUploaded, layers.reduce((a, l) => a + l.size, 0) + img.rawConfig.length);
    assert.equal(proxy.uploadedBytes(), stats.bytesUploaded);

    const inspect = JSON.parse(
      skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/app/one:v1`),
    ) as {
      Digest: string;
      Layers: string[];
      Labels: Record<string, string>;
    };
    assert.equal(inspect.Digest, img.digest);
    assert.deepEqual(
      inspect.Layers,
      layers.map((l) => l.digest),
    );
    assert.equal(inspect.Labels['test.label'], 'x');
    skopeo(
      'copy',
      '--src-tls-verify=false',
      `docker://${reg.host}/app/one:v1`,
      `oci:${join(tmp, 'copy')}:v1`,
    );

    const got = await remote.image(`${reg.host}/app/one:v1`);
    assert.equal(got.digest, img.digest);
    assert.deepEqual(Buffer.from(got.rawManifest), Buffer.from(img.rawManifest));
    assert.deepEqual(Buffer.from(got.rawConfig), Buffer.from(img.rawConfig));
    assert.equal(got.layers.length, 3);
    for (const [i, l] of got.layers.entries()) {
      const want = layers[i]!;
      assert.equal(l.digest, want.digest);
      assert.equal(l.diffID, want.diffID);
      assert.equal(l.size, want.size);
      assert.deepEqual(await collect(await l.compressed()), want.blob);
      assert.deepEqual(await collect(await l.uncompressed()), want.tar);
    }
  });

  it('re-pushing the same image uploads zero blob bytes (HEAD first)', async () => {
    const img = memImage(layers);
    const before = proxy.uploadedBytes();
    const posts = proxy.count('POST', '/blobs/uploads/');
    const stats = remote.createUploadStats();
    const res = await remote.write(`${proxy.host}/app/one:v1`, img, { stats });
    assert.equal(res.digest, img.digest);
    assert.equal(stats.bytesUploaded, 0);
    assert.equal(stats.blobsUploaded, 0);
    assert.equal(stats.blobsExisting, 4);
    assert.equal(proxy.uploadedBytes(), before);
    assert.equal(proxy.count('POST', '/blobs/uploads/'), posts);
  });

  it('mounts layers from another repository of the same registry instead of uploading', async () => {
    const src = await remote.image(`${proxy.host}/app/one:v1`);
    const before = proxy.uploadedBytes();
    const stats = remote.createUploadStats();
    const res = await remote.write(`${proxy.host}/other/two:latest`, src, { stats });
    assert.equal(res.digest, src.digest);
    assert.equal(stats.blobsMounted, 4, 'three layers and the config');
    assert.equal(stats.blobsUploaded, 0);
    assert.equal(proxy.uploadedBytes(), before);
    assert.equal((await remote.image(`${reg.host}/other/two:latest`)).digest, src.digest);
  });

  it('tags, heads and checks existence', async () => {
    const img = memImage(layers);
    const t = await remote.tag(`${reg.host}/app/one:extra`, img);
    assert.equal(t.digest, img.digest);
    const d = await remote.head(`${reg.host}/app/one:extra`);
    assert.equal(d?.digest, img.digest);
    assert.equal(d?.size, img.rawManifest.length);
    assert.equal(d?.mediaType, MediaType.ociManifest);
    assert.equal(await remote.exists(`${reg.host}/app/one:nope`), false);
    assert.equal(await remote.exists(`${reg.host}/app/one@${img.digest}`), true);
    const byDigest = await remote.image(`${reg.host}/app/one@${img.digest}`);
    assert.equal(byDigest.digest, img.digest);
    // a tag in another repository: blobs are not there yet, so tag falls back to a full write (mounting nothing)
    const t2 = await remote.tag(`${reg.host}/third/repo:x`, img);
    assert.equal(t2.digest, img.digest);
    assert.equal(await remote.exists(`${reg.host}/third/repo:x`), true);
  });

  it('pushes and reads Docker v2 schema 2 manifests', async () => {
    const img = memImage(layers.slice(0, 2), { docker: true, label: 'docker' });
    const res = await remote.write(`${reg.host}/app/docker:v2`, img);
    assert.equal(res.mediaType, MediaType.dockerManifest);
    const raw = JSON.parse(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/app/docker:v2`),
    ) as {
      mediaType: string;
    };
    assert.equal(raw.mediaType, MediaType.dockerManifest);
    const got = await remote.image(`${reg.host}/app/docker:v2`);
    assert.equal(got.manifest.mediaType, MediaType.dockerManifest);
    assert.equal(got.layers[0]?.mediaType, MediaType.dockerLayerGzip);
    assert.deepEqual(await collect(await got.layers[0]!.uncompressed()), layers[0]!.tar);
  });

  it('uploads in PATCH chunks when chunkSize is set', async () => {
    const big = await memLayer({
      'big.bin': Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251)),
    });
    const img = memImage([big], { label: 'chunked' });
    const patches = proxy.count('PATCH', '/blobs/uploads/');
    const stats = remote.createUploadStats();
    await remote.write(`${proxy.host}/app/chunked:v1`, img, { chunkSize: 64 * 1024, stats });
    assert.ok(proxy.count('PATCH', '/blobs/uploads/') - patches >= Math.ceil(big.size / 65536));
    assert.equal(stats.bytesUploaded, big.size + img.rawConfig.length);
    const got = await remote.image(`${reg.host}/app/chunked:v1`);
    assert.deepEqual(await collect(await got.layers[0]!.compressed()), big.blob);
  });
});
