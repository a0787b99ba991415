import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyImage, type Image, memoryLayer, mutate } from '../image/index.ts';
import { imageStore, isLayoutPath, layoutPathFor } from './image-store.ts';

describe('layoutPathFor (platform.md "Map an image reference to a path in the layout directory")', () => {
  const cases: [string, string][] = [
    ['busybox', '/layout/index.docker.io/library/busybox/latest'],
    ['127.0.0.1:5000/app/x:v1', '/layout/127.0.0.1:5000/app/x/v1'],
    [`busybox@sha256:${'a'.repeat(64)}`, `/layout/index.docker.io/library/busybox/sha256/${'a'.repeat(64)}`],
    // docs/reference-behaviour.md §0.9: a reference that already is in the layout dir is used as it is
    ['/layout/index.docker.io/library/busybox/latest', '/layout/index.docker.io/library/busybox/latest'],
  ];
  for (const [ref, want] of cases)
    it(`${ref} → ${want}`, () => assert.equal(layoutPathFor('/layout', ref), want));
  it('tells paths from references', () => {
    assert.equal(isLayoutPath('/layout', '/layout/a/b/c'), true);
    assert.equal(isLayoutPath('/layout', '/elsewhere/a'), false);
    assert.equal(isLayoutPath('/layout', 'busybox'), false);
  });
});

describe('imageStore (layout mode)', () => {
  let dir: string;
  let img: Image;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-'));
    const tar = Buffer.alloc(1024); // an empty tar: two zero blocks
    img = mutate(emptyImage(), { addLayers: [memoryLayer(tar)], config: { labels: { a: 'b' } } });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads a missing image as undefined', async () => {
    const s = imageStore({ layout: true, layoutDir: dir, env: {} });
    assert.equal(s.kind, 'layout');
    assert.equal(await s.read('some/app:v1'), undefined);
  });

  it('writes every reference to its path and reads it back with the layout identifier', async () => {
    const s = imageStore({ layout: true, layoutDir: dir, env: {} });
    const w = await s.write(['some/app:v1', 'some/app:v2'], img);
    assert.equal(w.digest, img.digest);
    assert.equal(w.manifestSize, img.rawManifest.byteLength);
    const path = join(dir, 'index.docker.io/some/app/v1');
    assert.equal(w.identifier, `${path}@${img.digest}`);
    for (const tag of ['v1', 'v2']) {
      const r = await s.read(`some/app:${tag}`);
      assert.equal(r?.digest, img.digest);
      assert.equal(
        s.identifier(`some/app:${tag}`, r!),
        `${join(dir, 'index.docker.io/some/app', tag)}@${img.digest}`,
      );
    }
    assert.equal((await s.read(path))?.digest, img.digest);
    await s.checkRead('whatever');
    await s.checkWrite('whatever');
    assert.deepEqual(await s.canRead('x'), { ok: true });
  });

  it('needs a layout dir', () => {
    assert.throws(() => imageStore({ layout: true, env: {} }), { exitCode: 3 });
  });
});
