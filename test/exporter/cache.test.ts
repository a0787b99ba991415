import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CACHE_METADATA_LABEL, openDirCache, parseCacheMetadata } from '../../src/cache/index.ts';
import { remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { BP, cleanupDist, exporter, type Fixture, fixture, ok, pushRunImage } from './helpers.ts';

// platform.md "exporter" ("If a cache is provided…"); docs/reference-behaviour.md §6 "Cache export", §11.
describe('exporter cache', () => {
  let reg: RegistryHandle;
  let fx: Fixture;
  let cacheDir: string;

  before(async () => {
    reg = await startRegistry();
    const run = await pushRunImage(reg.host);
    fx = await fixture();
    await fx.analyzed(run.ref, `${reg.host}/run:latest`);
    await fx.write(
      'layers/example_hello/deps.toml',
      '[types]\n  cache = true\n  build = true\n\n[metadata]\n  n = 2\n',
    );
    await fx.write('layers/example_hello/deps/lib/dep.txt', 'dependency\n');
    await fx.write('layers/example_hello/both.toml', '[types]\n  cache = true\n  launch = true\n');
    await fx.write('layers/example_hello/both/data.txt', 'launch and cache\n');
    await fx.write('layers/example_hello/nocontent.toml', '[types]\n  cache = true\n');
    await fx.write('layers/sbom/cache/example_hello/deps/sbom.cdx.json', '{}');
    cacheDir = join(fx.root, 'cache');
    await mkdir(cacheDir);
  });
  after(async () => {
    await Promise.all([reg?.stop(), fx?.cleanup()]);
    await cleanupFixtures();
    await cleanupDist();
  });

  const committed = async () =>
    parseCacheMetadata(await readFile(join(cacheDir, 'committed', CACHE_METADATA_LABEL), 'utf8'));

  it('writes cache=true layers (contents, diffID, metadata) to -cache-dir; they read back verified', async () => {
    const r = ok(await exporter([...fx.flags(), '-cache-dir', cacheDir, `${reg.host}/cached:1`]));
    assert.match(r.stdout, /Layer cache not found/);
    assert.match(r.stdout, new RegExp(`Adding cache layer '${BP.id}:deps'`));
    assert.match(r.stdout, new RegExp(`Adding cache layer '${BP.id}:both'`));
    assert.match(
      r.stderr,
      new RegExp(`Failed to cache layer '${BP.id}:nocontent' because it has no contents`),
    );
    const m = await committed();
    const layers = m.buildpacks.find((b) => b.key === BP.id)?.layers ?? {};
    assert.deepEqual(Object.keys(layers).sort(), ['both', 'deps']);
    assert.deepEqual(layers['deps']?.data, { n: 2 });
    assert.equal(layers['deps']?.build, true);
    assert.equal(layers['both']?.launch, true);
    assert.match(m.sbom?.sha ?? '', /^sha256:/);
    const img = await remote.image(`${reg.host}/cached:1`);
    assert.ok(
      img.config.rootfs.diff_ids.includes(layers['both']!.sha),
      'launch+cache layer is in the image too',
    );
    const cache = await openDirCache(cacheDir);
    for (const sha of [layers['deps']!.sha, layers['both']!.sha, m.sbom!.sha]) {
      let n = 0;
      for await (const c of await cache.layer(sha)) n += (c as Buffer).length;
      assert.ok(n >= 1024);
    }
  });

  it('reuses unchanged cache layers and re-adds a corrupt one', async () => {
    const r = ok(await exporter([...fx.flags(), '-cache-dir', cacheDir, `${reg.host}/cached:2`]));
    assert.match(r.stdout, new RegExp(`Reusing cache layer '${BP.id}:deps'`));
    assert.match(r.stdout, new RegExp(`Reusing cache layer '${BP.id}:both'`));
    const deps = (await committed()).buildpacks[0]!.layers['deps']!.sha;
    await writeFile(join(cacheDir, 'committed', `${deps}.tar`), 'garbage');
    const again = ok(await exporter([...fx.flags(), '-cache-dir', cacheDir, `${reg.host}/cached:3`]));
    assert.match(again.stderr, new RegExp(`Skipping reuse for layer ${BP.id}:deps`));
    assert.match(again.stdout, new RegExp(`Adding cache layer '${BP.id}:deps'`));
    const cache = await openDirCache(cacheDir);
    for await (const _ of await cache.layer(deps));
    const files = await readdir(join(cacheDir, 'committed'));
    assert.equal(files.filter((f) => f.endsWith('.tar')).length, 3, 'stale layers are dropped');
  });

  it('-parallel exports the image and the cache concurrently', async () => {
    const r = ok(
      await exporter([...fx.flags(), '-parallel', '-cache-dir', cacheDir, `${reg.host}/cached:p`]),
    );
    assert.match(r.stdout, new RegExp(`Reusing cache layer '${BP.id}:deps'`));
    assert.ok((await remote.image(`${reg.host}/cached:p`)).digest.startsWith('sha256:'));
  });

  it('writes a -cache-image and reuses its layers without uploading them again', async () => {
    const ref = `${reg.host}/cache-image:latest`;
    ok(await exporter([...fx.flags(), '-cache-image', ref, `${reg.host}/cached:4`]));
    const img = await remote.image(ref);
    const m = parseCacheMetadata(img.config.config.Labels?.[CACHE_METADATA_LABEL]);
    const layers = m.buildpacks[0]!.layers;
    assert.ok(img.config.rootfs.diff_ids.includes(layers['deps']!.sha));
    assert.ok(img.config.rootfs.diff_ids.includes(layers['both']!.sha));
    const uploads = () =>
      reg.requests().filter((q) => q.method === 'POST' && q.uri.includes('/cache-image/blobs/uploads/'));
    const before = uploads().length;
    const r = ok(await exporter([...fx.flags(), '-cache-image', ref, `${reg.host}/cached:5`]));
    assert.match(r.stdout, new RegExp(`Reusing cache layer '${BP.id}:deps'`));
    assert.equal(uploads().length - before, 0, 'same layers and metadata: nothing is uploaded');
  });

  it('a cache that cannot be opened fails the export with exit 1 before any image is written (D-387)', async () => {
    const missing = join(fx.root, 'no-such-cache');
    const r = await exporter([...fx.flags(), '-cache-dir', missing, `${reg.host}/cached:nodir`]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /failed to create volume cache: .*no-such-cache/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    const bad = await exporter([...fx.flags(), '-cache-image', 'UPPER/case:x', `${reg.host}/cached:badref`]);
    assert.equal(bad.code, 1, `${bad.stdout}\n${bad.stderr}`);
    assert.match(bad.stderr, /failed to create image cache: UPPER\/case:x/);
    for (const tag of ['nodir', 'badref'])
      await assert.rejects(remote.image(`${reg.host}/cached:${tag}`), `no image cached:${tag} was pushed`);
  });

  it('a run image that cannot be read fails the export with its error and writes no cache (D-430)', async () => {
    const gone = `${reg.host}/no-such-run@sha256:${'0'.repeat(64)}`;
    const dir = join(fx.root, 'cache-norun');
    await mkdir(dir);
    const analyzed = await readFile(join(fx.root, 'layers', 'analyzed.toml'), 'utf8');
    try {
      await fx.analyzed(gone, `${reg.host}/no-such-run:latest`);
      const r = await exporter([...fx.flags(), '-cache-dir', dir, `${reg.host}/cached:norun`]);
      assert.equal(r.code, 62, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /failed to find run image '.*no-such-run@sha256:0{64}'/);
      assert.doesNotMatch(
        r.stderr,
        /failed to create layer/,
        'the run image is the error, not a stopped layer',
      );
      assert.deepEqual(await readdir(dir), [], 'no cache is written');
      await assert.rejects(remote.image(`${reg.host}/cached:norun`), 'no image was pushed');
    } finally {
      await writeFile(join(fx.root, 'layers', 'analyzed.toml'), analyzed);
    }
  });
});
