import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, isLifecycleError } from '../platform/index.ts';
import { buildImage, memoryLayer } from './assemble.ts';
import { mutate } from './mutate.ts';
import { rebase } from './rebase.ts';
import { MediaType } from './types.ts';

const enc = new TextEncoder();
const layer = (s: string) => memoryLayer(enc.encode(s));
const [o1, o2, n1, n2, a1, a2] = ['old1', 'old2', 'new1', 'new2', 'app1', 'app2'].map(layer) as [
  ReturnType<typeof layer>,
  ReturnType<typeof layer>,
  ReturnType<typeof layer>,
  ReturnType<typeof layer>,
  ReturnType<typeof layer>,
  ReturnType<typeof layer>,
];

const oldBase = buildImage({
  config: {
    os: 'linux',
    architecture: 'amd64',
    config: { Env: ['OLD=1'] },
    history: [{ created_by: 'old1' }, { created_by: 'old2' }, { created_by: 'CMD', empty_layer: true }],
  },
  layers: [o1, o2],
});
const newBase = buildImage({
  config: {
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8',
    config: { Env: ['NEW=1'] },
    history: [{ created_by: 'new1' }, { created_by: 'new2' }],
  },
  layers: [n1, n2],
  mediaTypes: 'docker',
});
const app = mutate(oldBase, {
  addLayers: [
    { layer: a1, history: { created_by: 'app1' } },
    { layer: a2, history: { created_by: 'app2' } },
  ],
  config: { labels: { 'io.buildpacks.lifecycle.metadata': '{}' } },
  created: '2001-01-01T00:00:00Z',
});

describe('rebase', () => {
  it('swaps the base layers and keeps the app layers and config', () => {
    const r = rebase(app, o2.diffID, newBase);
    assert.deepEqual(r.config.rootfs.diff_ids, [n1.diffID, n2.diffID, a1.diffID, a2.diffID]);
    assert.deepEqual(
      r.layers.map((l) => l.digest),
      [n1, n2, a1, a2].map((l) => l.digest),
    );
    assert.deepEqual(r.config.config.Env, ['OLD=1']);
    assert.equal(r.config.config.Labels?.['io.buildpacks.lifecycle.metadata'], '{}');
    assert.equal(r.config.architecture, 'arm64');
    assert.equal(r.config.variant, 'v8');
    assert.equal(r.config.created, '2001-01-01T00:00:00Z');
    assert.deepEqual(
      r.config.history?.map((h) => h.created_by),
      ['new1', 'new2', 'app1', 'app2'],
    );
    // the original's family (OCI) is kept, the new base's docker layers are described as OCI
    assert.equal(r.manifest.mediaType, MediaType.ociManifest);
    assert.equal(r.manifest.layers[0]?.mediaType, MediaType.ociLayerGzip);
  });

  it('is deterministic and applies config changes in the same step', () => {
    const a = rebase(app, o2.diffID, newBase, { config: { labels: { x: 'y' } }, created: new Date(0) });
    const b = rebase(app, o2.diffID, newBase, { config: { labels: { x: 'y' } }, created: new Date(0) });
    assert.equal(a.digest, b.digest);
    assert.equal(a.config.config.Labels?.['x'], 'y');
    assert.equal(a.config.created, '1970-01-01T00:00:00Z');
  });

  it('fails with a rebase error when the top layer is not in the image', () => {
    assert.throws(
      () => rebase(app, n1.diffID, newBase),
      (e: unknown) =>
        isLifecycleError(e) && e.exitCode === ExitCode.rebase && /no layer with diffID/.test(e.message),
    );
  });

  it('rebasing back onto the old base restores the original layers', () => {
    const r = rebase(rebase(app, o2.diffID, newBase), n2.diffID, oldBase);
    assert.deepEqual(r.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
  });
});
