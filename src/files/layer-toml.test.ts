import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  isIgnoredLayer,
  type LayerTypes,
  parseLayerToml,
  readLayerToml,
  writeLayerMetadata,
} from './layer-toml.ts';
import { parseToml } from './toml.ts';

const F = '/layers/bp/node.toml';

// buildpack.md "Layer Types" and "Layer Content Metadata (TOML)": flags live in [types]; unset = false.
describe('<layer>.toml', () => {
  const cases: Array<[string, string, LayerTypes]> = [
    ['empty file', '', { launch: false, build: false, cache: false }],
    ['empty [types]', '[types]', { launch: false, build: false, cache: false }],
    ['launch only', '[types]\nlaunch = true', { launch: true, build: false, cache: false }],
    ['all', '[types]\nlaunch = true\nbuild = true\ncache = true', { launch: true, build: true, cache: true }],
    ['explicit false', '[types]\nbuild = false\ncache = true', { launch: false, build: false, cache: true }],
  ];
  for (const [name, text, want] of cases)
    it(name, () => assert.deepEqual(parseLayerToml(parseToml(text, F), F).types, want));

  it('keeps [metadata]', () => {
    const l = parseLayerToml(parseToml('[metadata]\nversion = "1.2"\n[metadata.x]\ny = 1', F), F);
    assert.deepEqual(JSON.parse(JSON.stringify(l.metadata)), { version: '1.2', x: { y: 1 } });
  });
  it('rejects flags at the top level, naming the file', () => {
    assert.throws(
      () => parseLayerToml(parseToml('launch = true', F), F),
      /should be in the types table of \/layers\/bp\/node\.toml/,
    );
  });
  it('rejects a non-boolean flag', () => {
    assert.throws(
      () => parseLayerToml(parseToml('[types]\nlaunch = "yes"', F), F),
      /types\.launch: expected true or false/,
    );
  });

  // buildpack.md "Ignored Layers".
  const ignored: Array<[LayerTypes, boolean]> = [
    [{ launch: false, build: false, cache: false }, true],
    [{ launch: true, build: false, cache: false }, false],
    [{ launch: false, build: true, cache: false }, false],
    [{ launch: false, build: false, cache: true }, false],
  ];
  for (const [t, want] of ignored)
    it(`isIgnoredLayer(${JSON.stringify(t)})`, () => assert.equal(isIgnoredLayer(t), want));

  it('writes restored metadata without [types] (buildpack.md "Reusing Layers")', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'layer-toml-'));
    try {
      const f = join(dir, 'l.toml');
      await writeLayerMetadata(f, { version: '1' });
      const text = await readFile(f, 'utf8');
      assert.doesNotMatch(text, /types/);
      assert.deepEqual((await readLayerToml(f)).types, { launch: false, build: false, cache: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
