import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildImage, memoryLayer } from './assemble.ts';
import { formatCreated, mutate, NORMALIZED_CREATED } from './mutate.ts';
import { MediaType } from './types.ts';

const enc = new TextEncoder();
const baseLayer = memoryLayer(enc.encode('base'));
const base = buildImage({
  config: {
    os: 'linux',
    architecture: 'amd64',
    created: '2020-02-02T00:00:00Z',
    container: 'abc',
    docker_version: '20.10',
    config: { Env: ['PATH=/bin', 'HOME=/root'], Labels: { keep: '1', drop: '2' }, Cmd: ['sh'] },
    history: [{ created: '2020-02-02T00:00:00Z', created_by: 'ADD rootfs' }],
  },
  layers: [baseLayer],
  mediaTypes: 'docker',
});

describe('mutate', () => {
  it('appends layers with history and applies config changes', () => {
    const app = memoryLayer(enc.encode('app'));
    const img = mutate(base, {
      addLayers: [{ layer: app, history: { created_by: 'buildpack x' } }],
      config: {
        env: { PATH: '/cnb/bin:/bin', CNB: '1' },
        labels: { new: 'v' },
        removeLabels: ['drop'],
        entrypoint: ['/cnb/lifecycle/launcher'],
        cmd: null,
        workingDir: '/workspace',
        user: '1000:1000',
        exposedPorts: ['8080/tcp'],
      },
    });
    assert.deepEqual(img.config.rootfs.diff_ids, [baseLayer.diffID, app.diffID]);
    assert.equal(img.layers.length, 2);
    assert.equal(img.config.created, NORMALIZED_CREATED);
    assert.deepEqual(img.config.config.Env, ['PATH=/cnb/bin:/bin', 'HOME=/root', 'CNB=1']);
    assert.deepEqual(img.config.config.Labels, { keep: '1', new: 'v' });
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/lifecycle/launcher']);
    assert.equal('Cmd' in img.config.config, false);
    assert.equal(img.config.config.WorkingDir, '/workspace');
    assert.equal(img.config.config.User, '1000:1000');
    assert.deepEqual(img.config.config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(img.config.history, [
      { created: '2020-02-02T00:00:00Z', created_by: 'ADD rootfs' },
      { created: NORMALIZED_CREATED, created_by: 'buildpack x' },
    ]);
    assert.equal(img.config['container'], undefined);
    assert.equal(img.config['docker_version'], undefined);
    // the base's family is kept (as the reference does), including for the new layer
    assert.equal(img.manifest.mediaType, MediaType.dockerManifest);
    assert.equal(img.manifest.layers[1]?.mediaType, MediaType.dockerLayerGzip);
  });

  it('equal inputs give equal digests; different created gives a different one', () => {
    const app = memoryLayer(enc.encode('app'));
    const a = mutate(base, { addLayers: [app], config: { labels: { b: '2', a: '1' } } });
    const b = mutate(base, { addLayers: [app], config: { labels: { a: '1', b: '2' } } });
    assert.equal(a.digest, b.digest);
    const c = mutate(base, { addLayers: [app], created: new Date('2024-01-01T00:00:00Z') });
    assert.equal(c.config.created, '2024-01-01T00:00:00Z');
    assert.notEqual(a.digest, c.digest);
  });

  it('can force OCI media types', () => {
    const img = mutate(base, { mediaTypes: 'oci' });
    assert.equal(img.manifest.mediaType, MediaType.ociManifest);
    assert.equal(img.manifest.layers[0]?.mediaType, MediaType.ociLayerGzip);
    assert.equal(img.manifest.layers[0]?.digest, baseLayer.digest);
  });

  it('normalizes history to one {created} entry per layer on request (the reference default)', () => {
    const img = mutate(base, {
      addLayers: [{ layer: memoryLayer(enc.encode('x')), history: { created_by: 'bp' } }],
      history: 'normalize',
    });
    assert.deepEqual(img.config.history, [{ created: NORMALIZED_CREATED }, { created: NORMALIZED_CREATED }]);
  });

  it('fills the base history when the base has none but layers are added', () => {
    const noHist = buildImage({
      config: { os: 'linux', architecture: 'amd64', config: {} },
      layers: [baseLayer],
    });
    const img = mutate(noHist, { addLayers: [memoryLayer(enc.encode('x'))] });
    assert.equal(img.config.history?.length, 2);
  });
});

describe('formatCreated', () => {
  it('writes RFC 3339 like Go', () => {
    assert.equal(formatCreated(new Date(Date.UTC(1980, 0, 1, 0, 0, 1))), NORMALIZED_CREATED);
    assert.equal(formatCreated(new Date('2024-05-06T07:08:09.120Z')), '2024-05-06T07:08:09.12Z');
    assert.equal(formatCreated(undefined), NORMALIZED_CREATED);
  });
});
