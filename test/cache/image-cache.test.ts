import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CACHE_METADATA_LABEL, type CacheMetadata, openCache } from '../../src/cache/index.ts';
import { MediaType, remote } from '../../src/image/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { readAll, streamOf, tarOf } from './helpers.ts';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const meta = (layers: Record<string, string>): CacheMetadata => ({
  buildpacks: [
    {
      key: 'example/bp',
      version: '1.0',
      layers: Object.fromEntries(
        Object.entries(layers).map(([n, s]) => [n, { sha: s, build: true, launch: false, cache: true }]),
      ),
    },
  ],
});

describe('image cache on a real registry (docs/reference-behaviour.md §11)', () => {
  let reg: RegistryHandle;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  it('reads a missing cache image as an empty cache, and commits an image with one empty layer', async () => {
    const ref = `${reg.host}/cache/empty`;
    const cache = await openCache({ image: ref });
    assert.equal(cache.exists(), false);
    assert.deepEqual(await cache.metadata(), { buildpacks: [] });
    const w = cache.startWrite();
    await w.setMetadata({ buildpacks: [] });
    await w.commit();
    const img = await remote.image(ref);
    assert.equal(img.layers.length, 1);
    assert.equal(img.manifest.mediaType, MediaType.dockerManifest);
    assert.equal(img.config.config.Labels?.[CACHE_METADATA_LABEL], '{"buildpacks":[]}');
  });

  it('round-trips layers and metadata, and reuses unchanged layers without uploading them', async () => {
    const ref = `${reg.host}/cache/app`;
    const big = await tarOf({ 'layers/bp/big/data.bin': Buffer.alloc(2 << 20, 7) });
    const small = await tarOf({ 'layers/bp/small/s.txt': 'small' });

    const first = (await openCache({ image: ref })).startWrite();
    const bigID = await first.addLayer(streamOf(big));
    const smallID = await first.addLayer(streamOf(small), sha(small));
    assert.equal(bigID, sha(big));
    await first.setMetadata(meta({ big: bigID, small: smallID }));
    await first.commit();
    await assert.rejects(first.commit(), /cache cannot be modified after commit/);

    const img = await remote.image(ref);
    assert.deepEqual(img.config.rootfs.diff_ids, [bigID, smallID]);
    assert.deepEqual(JSON.parse(img.config.config.Labels?.[CACHE_METADATA_LABEL] ?? ''), {
      buildpacks: [
        {
          key: 'example/bp',
          version: '1.0',
          layers: {
            big: { sha: bigID, build: true, launch: false, cache: true },
            small: { sha: smallID, build: true, launch: false, cache: true },
          },
        },
      ],
    });

    const cache = await openCache({ image: ref });
    assert.equal(cache.exists(), true);
    assert.deepEqual(await cache.metadata(), meta({ big: bigID, small: smallID }));
    assert.equal(await cache.has(bigID), true);
    assert.deepEqual(await readAll(await cache.layer(smallID)), small);
    await assert.rejects(cache.layer(sha(Buffer.from('x'))), { code: 'ERR_CACHE_LAYER_MISSING' });

    // Next build: the big layer is unchanged (reused), the small one changed.
    const stats = remote.createUploadStats();
    const next = (await openCache({ image: ref, stats })).startWrite();
    await next.reuseLayer(bigID);
    const small2 = await tarOf({ 'layers/bp/small/s.txt': 'changed' });
    const small2ID = await next.addLayer(streamOf(small2));
    await next.setMetadata(meta({ big: bigID, small: small2ID }));
    await next.commit();
    assert.equal(stats.blobsExisting >= 1, true, 'the reused layer is found in the repository');
    assert.equal(stats.blobsUploaded, 2, 'uploads: the changed layer and the config, never the reused layer');
    assert.ok(
      stats.bytesUploaded < 64 * 1024,
      `only the small layer and config move (${stats.bytesUploaded} bytes)`,
    );
    const img2 = await remote.image(ref);
    assert.deepEqual(img2.config.rootfs.diff_ids, [bigID, small2ID]);
    assert.equal(img2.manifest.layers[0]?.digest, img.manifest.layers[0]?.digest);

    // Nothing changed: every blob is already there, zero bytes move.
    const idle = remote.createUploadStats();
    const same = (await openCache({ image: ref, stats: idle })).startWrite();
    await same.reuseLayer(bigID);
    await same.reuseLayer(small2ID);
    await same.setMetadata(meta({ big: bigID, small: small2ID }));
    await same.commit();
    assert.equal(idle.blobsUploaded, 0);
    assert.equal(idle.bytesUploaded, 0);
    await assert.rejects(
      (await openCache({ image: ref })).startWrite().reuseLayer(sha(Buffer.from('gone'))),
      { code: 'ERR_CACHE_LAYER_MISSING' },
    );
  });
});
