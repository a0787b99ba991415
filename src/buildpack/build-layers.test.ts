import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBuildpackLayers, readLayerTomls, renameIgnoredLayers } from './build-layers.ts';

// buildpack.md "Layer Types" and "Ignored Layers"; S-6.
describe('buildpack layers', () => {
  it('reads <layer>.toml files, skipping launch/build/store.toml, and renames only ignored layers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bp-layers-'));
    try {
      for (const d of ['keep', 'tmp', 'notoml', 'tmp.ignore/old'])
        await mkdir(join(dir, d), { recursive: true });
      await writeFile(join(dir, 'keep.toml'), '[types]\ncache = true\n');
      await writeFile(join(dir, 'tmp.toml'), '[metadata]\na = 1\n');
      await writeFile(join(dir, 'nodir.toml'), '');
      for (const f of ['launch.toml', 'build.toml', 'store.toml']) await writeFile(join(dir, f), 'x = 1\n');
      const layers = await readBuildpackLayers(dir);
      assert.deepEqual([...layers.keys()], ['keep', 'nodir', 'tmp']);
      assert.deepEqual(layers.get('keep'), { launch: false, build: false, cache: true });
      assert.deepEqual(JSON.parse(JSON.stringify((await readLayerTomls(dir)).get('tmp')?.metadata)), {
        a: 1,
      });
      assert.deepEqual(await renameIgnoredLayers(dir, layers), ['tmp']);
      const names = (await readdir(dir)).sort();
      assert.ok(names.includes('tmp.ignore') && !names.includes('tmp'));
      assert.deepEqual(await readdir(join(dir, 'tmp.ignore')), [], 'a stale .ignore dir is replaced');
      assert.ok(names.includes('notoml') && names.includes('keep'));
      assert.deepEqual(await readBuildpackLayers(join(dir, 'missing')), new Map());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
