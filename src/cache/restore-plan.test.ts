import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerMetadata } from '../files/index.ts';
import { dataDecision, planLayerMetadata, validLayerName } from './restore-plan.ts';

const layer = (
  t: { build: boolean; cache: boolean; launch: boolean },
  sha = 'sha256:aaa',
): LayerMetadata => ({
  sha,
  data: { key: 'value' },
  ...t,
});

/**
 * buildpack.md "Layer Types" table: what a rebuild gets back for a layer of each type, when the previous
 * export recorded it in the app image (launch=true layers) and in the cache (cache=true layers) with the
 * same SHA. "Yes*" for false/true/true: the layer contents come from the cache.
 */
const LAYER_TYPES_TABLE: readonly [
  build: boolean,
  cache: boolean,
  launch: boolean,
  metadata: boolean,
  layer: boolean,
][] = [
  [true, true, true, true, true],
  [true, true, false, true, true],
  [true, false, true, false, false],
  [true, false, false, false, false],
  [false, true, true, true, true],
  [false, true, false, true, true],
  [false, false, true, true, false],
  [false, false, false, false, false],
];

describe('restore rules (buildpack.md "Layer Types")', () => {
  for (const [build, cache, launch, wantMeta, wantLayer] of LAYER_TYPES_TABLE) {
    it(`build=${build} cache=${cache} launch=${launch} → metadata ${wantMeta ? 'yes' : 'no'}, layer ${wantLayer ? 'yes' : 'no'}`, () => {
      const l = layer({ build, cache, launch });
      const app = launch ? { l } : {};
      const cached = cache ? { l } : {};
      const plan = planLayerMetadata(app, cached);
      const restored = plan.restore.find((r) => r.name === 'l');
      assert.equal(restored !== undefined, wantMeta);
      if (restored) assert.deepEqual(restored.data, { key: 'value' });
      const data = restored !== undefined && dataDecision(restored.sha, cached.l) === 'restore';
      assert.equal(data, wantLayer);
    });
  }

  it('restores launch=true cache=true metadata only when the cache holds the layer as cache=true (docs/reference-behaviour.md §3)', () => {
    const l = layer({ build: false, cache: true, launch: true });
    assert.equal(planLayerMetadata({ l }, {}).restore.length, 0);
    assert.equal(planLayerMetadata({ l }, { l: { ...l, cache: false } }).restore.length, 0);
    assert.equal(planLayerMetadata({ l }, { l }).restore[0]?.from, 'app image');
  });

  it('never restores launch=true layers from the cache metadata alone at Platform API 0.12', () => {
    const l = layer({ build: false, cache: true, launch: true });
    assert.deepEqual(planLayerMetadata({}, { l }).restore, []);
  });

  it('keeps the app image metadata when the cache disagrees', () => {
    const app = {
      l: { ...layer({ build: false, cache: false, launch: true }, 'sha256:app'), data: { from: 'app' } },
    };
    const cached = {
      l: { ...layer({ build: false, cache: true, launch: false }, 'sha256:cache'), data: { from: 'cache' } },
    };
    const plan = planLayerMetadata(app, cached);
    assert.deepEqual(
      plan.restore.map((r) => [r.name, r.from, r.data]),
      [['l', 'app image', { from: 'app' }]],
    );
    assert.equal(dataDecision('sha256:app', cached.l), 'wrong sha');
  });

  it('decides layer data by SHA (docs/reference-behaviour.md §3 "Layer data restoration")', () => {
    const c = layer({ build: true, cache: true, launch: false }, 'sha256:c');
    assert.equal(dataDecision('sha256:c', c), 'restore');
    assert.equal(dataDecision('sha256:other', c), 'wrong sha');
    assert.equal(dataDecision(undefined, c), 'wrong sha');
    assert.equal(dataDecision('sha256:c', undefined), 'not in cache');
    assert.equal(dataDecision('sha256:c', { ...c, cache: false }), 'not in cache');
  });

  it('refuses layer names that are not plain file names', () => {
    for (const bad of ['', '.', '..', '../../escaped-cache-layer', 'a/b', 'store', 'launch', 'build']) {
      assert.equal(validLayerName(bad), false, bad);
      const l = layer({ build: false, cache: true, launch: false });
      assert.deepEqual(planLayerMetadata({}, { [bad]: l }).restore, [], bad);
    }
    assert.equal(validLayerName('node_modules'), true);
    assert.equal(validLayerName('layer.with.dots'), true);
  });
});

describe('launch+cache layers missing from the app image (the reference from Platform API 0.14; D-305)', () => {
  const cached = { web: layer({ build: false, cache: true, launch: true }, 'sha256:c') };
  it('before 0.14 their metadata is not restored from the cache', () => {
    const p = planLayerMetadata({}, cached);
    assert.deepEqual(p.restore, []);
    assert.deepEqual(
      p.skipped.map((s) => s.reason),
      ['marked as launch=true'],
    );
  });
  it('from 0.14 it is restored from the cache; a layer the app image has still comes from the app image', () => {
    assert.deepEqual(
      planLayerMetadata({}, cached, { launchFromCache: true }).restore.map((r) => [r.name, r.from, r.sha]),
      [['web', 'cache', 'sha256:c']],
    );
    const app = { web: layer({ build: false, cache: true, launch: true }, 'sha256:a') };
    const both = planLayerMetadata(app, cached, { launchFromCache: true });
    assert.deepEqual(
      both.restore.map((r) => [r.name, r.from]),
      [['web', 'app image']],
    );
  });
});
