import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  buildImage,
  dockerLayerTar,
  emptyImage,
  familyOf,
  layerMediaTypeFor,
  memoryLayer,
} from './assemble.ts';
import { sha256Digest } from './json.ts';
import { MediaType } from './types.ts';

const tar = new TextEncoder().encode('not really a tar, but bytes');

describe('memoryLayer', () => {
  it('computes digest over the gzip blob and diffID over the tar', async () => {
    const l = memoryLayer(tar);
    assert.equal(l.mediaType, MediaType.ociLayerGzip);
    assert.equal(l.diffID, sha256Digest(tar));
    const blob = Buffer.concat(await (await l.compressed()).toArray());
    assert.equal(l.digest, sha256Digest(blob));
    assert.equal(l.size, blob.byteLength);
    assert.deepEqual(gunzipSync(blob), Buffer.from(tar));
    assert.equal(await text(await l.uncompressed()), 'not really a tar, but bytes');
  });

  it('uncompressed layers have digest == diffID', () => {
    const l = memoryLayer(tar, { compression: 'none', family: 'docker' });
    assert.equal(l.digest, l.diffID);
    assert.equal(l.mediaType, dockerLayerTar);
  });
});

describe('buildImage', () => {
  it('derives rootfs from layers and is deterministic', () => {
    const l = memoryLayer(tar);
    const a = buildImage({
      config: { os: 'linux', architecture: 'amd64', config: { Env: ['A=1'] } },
      layers: [l],
    });
    const b = buildImage({
      config: { config: { Env: ['A=1'] }, architecture: 'amd64', os: 'linux' },
      layers: [l],
    });
    assert.equal(a.digest, b.digest);
    assert.deepEqual(a.config.rootfs, { type: 'layers', diff_ids: [l.diffID] });
    assert.equal(a.manifest.config.digest, sha256Digest(a.rawConfig));
    assert.equal(a.digest, sha256Digest(a.rawManifest));
    assert.equal(a.manifest.mediaType, MediaType.ociManifest);
  });

  it('converts layer media types to the docker family', () => {
    const img = buildImage({
      config: { os: 'linux', architecture: 'amd64', config: {} },
      layers: [memoryLayer(tar)],
      mediaTypes: 'docker',
    });
    assert.equal(img.manifest.mediaType, MediaType.dockerManifest);
    assert.equal(img.manifest.config.mediaType, MediaType.dockerConfig);
    assert.equal(img.manifest.layers[0]?.mediaType, MediaType.dockerLayerGzip);
    assert.equal(img.layers[0]?.mediaType, MediaType.dockerLayerGzip);
    assert.equal(familyOf(img.manifest.mediaType), 'docker');
  });

  it('maps media types between families and leaves zstd alone', () => {
    assert.equal(layerMediaTypeFor(MediaType.dockerLayerGzip, 'oci'), MediaType.ociLayerGzip);
    assert.equal(layerMediaTypeFor(MediaType.ociLayer, 'docker'), dockerLayerTar);
    assert.equal(layerMediaTypeFor(MediaType.ociLayerZstd, 'docker'), MediaType.ociLayerZstd);
  });

  it('emptyImage has no layers', () => {
    const e = emptyImage({ os: 'linux', architecture: 'arm64' });
    assert.equal(e.layers.length, 0);
    assert.equal(e.config.architecture, 'arm64');
  });
});
