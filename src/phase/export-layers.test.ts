import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Layer } from '../image/index.ts';
import { dirLayerSource, layerMaker, processTypesLayerSource } from './export-layers.ts';

// docs/reference-behaviour.md §6 "Buildpack layer reuse rules"; DESIGN.md "Performance design".
describe('layer maker', () => {
  it('reuses the previous layer by diffID without writing a blob, and makes changed layers once', async () => {
    const root = await mkdtemp(join(tmpdir(), 'maker-'));
    try {
      const dir = join(root, 'layers', 'bp', 'l');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'f'), 'x');
      const blobs = join(root, 'blobs');
      await mkdir(blobs);
      const first = await layerMaker({ tmpDir: blobs, previous: new Map() }).make({
        id: 'bp:l',
        source: dirLayerSource(dir, 1, 1),
      });
      assert.equal(first.reused, false);
      assert.equal((await readdir(blobs)).length, 1);

      const previous = new Map<string, Layer>([[first.diffID, first.layer]]);
      const blobs2 = join(root, 'blobs2');
      await mkdir(blobs2);
      const maker = layerMaker({ tmpDir: blobs2, previous });
      const again = await maker.make({
        id: 'bp:l',
        source: dirLayerSource(dir, 1, 1),
        previousSha: first.diffID,
      });
      assert.equal(again.reused, true);
      assert.equal(again.layer, first.layer);
      assert.deepEqual(await readdir(blobs2), [], 'nothing compressed or written');
      assert.equal(maker.peek('bp:l'), maker.peek('bp:l'));

      await writeFile(join(dir, 'f'), 'changed');
      const changed = await layerMaker({ tmpDir: blobs2, previous }).make({
        id: 'bp:l',
        source: dirLayerSource(dir, 1, 1),
        previousSha: first.diffID,
      });
      assert.equal(changed.reused, false);
      assert.notEqual(changed.diffID, first.diffID);
      const owner = await layerMaker({ tmpDir: blobs2, previous }).make({
        id: 'bp:l',
        source: dirLayerSource(dir, 2, 2),
      });
      assert.notEqual(owner.diffID, changed.diffID, 'ownership is part of the layer');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('process-types layer: root-owned dirs and one symlink per type to the launcher', async () => {
    const entries = [...((await processTypesLayerSource(['web', 'worker'])()) as Iterable<{ name: string }>)];
    assert.deepEqual(
      entries.map((e) => e.name),
      ['/cnb', '/cnb/process', '/cnb/process/web', '/cnb/process/worker'],
    );
  });
});
