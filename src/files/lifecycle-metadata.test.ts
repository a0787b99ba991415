import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  lifecycleMetadataFromToml,
  lifecycleMetadataLabel,
  lifecycleMetadataToToml,
  parseLifecycleMetadataLabel,
} from './lifecycle-metadata.ts';
import { parseToml, toToml } from './toml.ts';

// A label as the reference Go lifecycle writes it (platform.md "io.buildpacks.lifecycle.metadata").
const GO_LABEL = JSON.stringify({
  app: [{ sha: 'sha256:app1' }],
  config: { sha: 'sha256:cfg' },
  launcher: { sha: 'sha256:launcher' },
  'process-types': { sha: 'sha256:pt' },
  buildpacks: [
    {
      key: 'acme/node',
      version: '1.2.3',
      layers: { modules: { sha: 'sha256:mod', data: { v: '20' }, build: false, launch: true, cache: true } },
      store: { metadata: { counter: 3 } },
    },
  ],
  runImage: { topLayer: 'sha256:top', reference: 'reg/run@sha256:abc', image: 'reg/run', mirrors: ['m/run'] },
  stack: { runImage: { image: 'reg/run', mirrors: ['m/run'] } },
});

describe('io.buildpacks.lifecycle.metadata (platform.md "Labels")', () => {
  it('parses the reference lifecycle label', () => {
    const m = parseLifecycleMetadataLabel(GO_LABEL, 'app');
    assert.equal(m.runImage?.topLayer, 'sha256:top');
    assert.deepEqual(m.runImage?.mirrors, ['m/run']);
    assert.deepEqual(m.buildpacks?.[0]?.layers['modules'], {
      sha: 'sha256:mod',
      data: { v: '20' },
      build: false,
      launch: true,
      cache: true,
    });
    assert.deepEqual(m.buildpacks?.[0]?.store, { metadata: { counter: 3 } });
    assert.equal(m.stack?.runImage.image, 'reg/run');
    assert.equal(m.processTypes?.sha, 'sha256:pt');
  });

  it('round-trips label JSON unchanged (same keys as the reference)', () => {
    const m = parseLifecycleMetadataLabel(GO_LABEL, 'app');
    assert.deepEqual(JSON.parse(lifecycleMetadataLabel(m)), JSON.parse(GO_LABEL));
  });

  it('writes analyzed.toml [metadata] with kebab-case keys and layer `metadata`, and reads it back', () => {
    const m = parseLifecycleMetadataLabel(GO_LABEL, 'app');
    const text = toToml({ metadata: lifecycleMetadataToToml(m) });
    assert.match(text, /\[metadata\.run-image\]\s*\ntop-layer = "sha256:top"/);
    assert.match(text, /\[metadata\.buildpacks\.layers\.modules\.metadata\]\s*\nv = "20"/);
    const back = lifecycleMetadataFromToml(
      parseToml(text, 'analyzed.toml')['metadata'] as Record<string, unknown>,
    );
    const plain = (x: unknown) => JSON.parse(JSON.stringify(x));
    assert.deepEqual(plain(back), plain(m));
  });

  it('treats an absent label as empty metadata and rejects invalid JSON naming the image', () => {
    assert.deepEqual(parseLifecycleMetadataLabel(undefined, 'x'), {});
    assert.deepEqual(parseLifecycleMetadataLabel('', 'x'), {});
    assert.throws(
      () => parseLifecycleMetadataLabel('{nope', 'reg/app:1'),
      /label io\.buildpacks\.lifecycle\.metadata of image reg\/app:1 is not valid JSON/,
    );
  });

  it('rejects a label nested too deep, naming label and image (D-215)', () => {
    const deep = `{"buildpacks":[{"key":"a","layers":{"l":{"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}]}`;
    assert.throws(() => parseLifecycleMetadataLabel(deep, 'reg/app:1'), {
      code: 'ERR_LABEL_INVALID',
      message:
        /^label io\.buildpacks\.lifecycle\.metadata of image reg\/app:1 nests arrays\/objects more than 1000 levels deep$/,
    });
  });
});
