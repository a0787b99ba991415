import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CACHE_METADATA_LABEL, type CacheMetadata, openCache, openDirCache } from '../../src/cache/index.ts';
import { memoryLayer } from '../../src/image/index.ts';
import { readAll, streamOf, tarOf } from './helpers.ts';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dir-cache-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
/** The staging directories of writers (one per writer, D-231). */
async function stagings(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.startsWith('staging-')).map((f) => join(dir, f));
}

const meta = (layers: Record<string, string>): CacheMetadata => ({
  buildpacks: [
    {
      key: 'example/bp',
      version: '1.0',
      layers: Object.fromEntries(
        Object.entries(layers).map(([n, s]) => [
          n,
          { sha: s, data: { k: n }, build: false, launch: false, cache: true },
        ]),
      ),
    },
  ],
  sbom: { sha: Object.values(layers)[0] ?? '' },
});

describe('directory cache (docs/reference-behaviour.md §11)', () => {
  it('round-trips layers and metadata in the reference layout', async () => {
    const dir = await tempDir();
    const tar = await tarOf({ 'layers/': '', 'layers/a.txt': 'hello' });
    const cache = await openCache({ dir });
    assert.equal(cache.exists(), false);
    assert.deepEqual(await cache.metadata(), { buildpacks: [] });
    const w = cache.startWrite();
    const diffID = await w.addLayer(streamOf(tar));
    assert.equal(diffID, sha(tar));
    assert.equal(await w.addLayer(streamOf(tar), diffID), diffID, 'adding the same layer twice is a no-op');
    await w.setMetadata(meta({ a: diffID }));
    assert.equal(await cache.has(diffID), false, 'nothing visible before commit');
    await w.commit();
    await assert.rejects(w.commit(), /cache cannot be modified after commit/);
    await assert.rejects(w.reuseLayer(diffID), /cache cannot be modified after commit/);

    assert.deepEqual(
      (await readdir(join(dir, 'committed'))).sort(),
      [`${diffID}.tar`, CACHE_METADATA_LABEL].sort(),
    );
    assert.deepEqual(await stagings(dir), [], 'the staging directory became committed/');
    assert.deepEqual((await readdir(dir)).sort(), ['committed'], 'no lock or backup left');
    const json = JSON.parse(await readFile(join(dir, 'committed', CACHE_METADATA_LABEL), 'utf8'));
    assert.deepEqual(json, {
      sbom: { sha: diffID },
      buildpacks: [
        {
          key: 'example/bp',
          version: '1.0',
          layers: { a: { sha: diffID, data: { k: 'a' }, build: false, launch: false, cache: true } },
        },
      ],
    });

    const again = await openDirCache(dir);
    assert.equal(again.exists(), true);
    assert.deepEqual(await again.metadata(), meta({ a: diffID }));
    assert.equal(await again.has(diffID), true);
    assert.deepEqual(await readAll(await again.layer(diffID)), tar);
  });

  it('reuses a committed layer by hard link, without copying bytes', async () => {
    const dir = await tempDir();
    const tar = await tarOf({ 'x.txt': 'x'.repeat(10000) });
    const c1 = await openDirCache(dir);
    const w1 = c1.startWrite();
    const id = await w1.addLayer(memoryLayer(tar));
    await w1.setMetadata(meta({ x: id }));
    await w1.commit();
    const before = await stat(join(dir, 'committed', `${id}.tar`));

    const c2 = await openDirCache(dir);
    const w2 = c2.startWrite();
    await w2.reuseLayer(id);
    const [staging] = await stagings(dir);
    assert.equal((await stat(join(staging!, `${id}.tar`))).ino, before.ino);
    await assert.rejects(w2.reuseLayer(sha(Buffer.from('nope'))), { code: 'ERR_CACHE_LAYER_MISSING' });
    await w2.setMetadata(meta({ x: id }));
    await w2.commit();
    assert.equal((await stat(join(dir, 'committed', `${id}.tar`))).ino, before.ino);
    assert.equal(existsSync(join(dir, 'committed-backup')), false);
  });

  it('adds layers from tar files and checks a declared diffID', async () => {
    const dir = await tempDir();
    const tar = await tarOf({ 'f.txt': 'file' });
    const path = join(dir, 'layer.tar');
    await writeFile(path, tar);
    const w = (await openDirCache(dir)).startWrite();
    assert.equal(await w.addLayer({ tarPath: path }), sha(tar));
    await assert.rejects(w.addLayer(streamOf(Buffer.from('other')), `sha256:${'a'.repeat(64)}`), {
      code: 'ERR_DIGEST_MISMATCH',
    });
    assert.deepEqual(
      (await readdir((await stagings(dir))[0]!)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
  });

  it('treats missing or invalid metadata as an empty cache, and reports missing or corrupt layers', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'committed'), { recursive: true });
    await writeFile(join(dir, 'committed', CACHE_METADATA_LABEL), '{not json');
    const cache = await openDirCache(dir);
    assert.deepEqual(await cache.metadata(), { buildpacks: [] });
    const tar = await tarOf({ 'a.txt': 'a' });
    const id = sha(tar);
    await assert.rejects(cache.layer(id), /failed to find cache layer with SHA/);
    await writeFile(
      join(dir, 'committed', `${id}.tar`),
      Buffer.concat([tar.subarray(0, 600), Buffer.alloc(424)]),
    );
    await assert.rejects(
      async () => readAll(await cache.layer(id)),
      (e: Error) => /expected layer contents to have SHA/.test(e.message),
    );
  });

  it('reads a cache written by the reference lifecycle (Go JSON, data null, colon in file names)', async () => {
    const dir = await tempDir();
    const tar = await tarOf({ '/layers/cacher_buildpack/cached-layer/data': 'cached-data\n' });
    const id = sha(tar);
    await mkdir(join(dir, 'committed'), { recursive: true });
    await writeFile(join(dir, 'committed', `${id}.tar`), tar);
    await writeFile(
      join(dir, 'committed', CACHE_METADATA_LABEL),
      `{"buildpacks":[{"key":"cacher_buildpack","version":"cacher_v1","layers":{"cached-layer":{"sha":"${id}","data":null,"build":false,"launch":false,"cache":true}}}]}\n`,
    );
    const cache = await openDirCache(dir);
    assert.deepEqual(await cache.metadata(), {
      buildpacks: [
        {
          key: 'cacher_buildpack',
          version: 'cacher_v1',
          layers: { 'cached-layer': { sha: id, build: false, launch: false, cache: true } },
        },
      ],
    });
    assert.deepEqual(await readAll(await cache.layer(id)), tar);
  });

  it('recovers an interrupted commit: new committed plus a leftover backup keeps the new version', async () => {
    const dir = await tempDir();
    const w1 = (await openDirCache(dir)).startWrite();
    const v1 = await w1.addLayer(streamOf(await tarOf({ 'v1.txt': 'v1' })));
    await w1.setMetadata(meta({ v: v1 }));
    await w1.commit();
    const w2 = (await openDirCache(dir)).startWrite();
    const v2 = await w2.addLayer(streamOf(await tarOf({ 'v2.txt': 'v2' })));
    await w2.setMetadata(meta({ v: v2 }));
    await w2.commit();
    // Simulate a kill after "staging → committed" but before the backup (the v1 cache) was deleted.
    await mkdir(join(dir, 'committed-backup'), { recursive: true });
    await writeFile(join(dir, 'committed-backup', CACHE_METADATA_LABEL), JSON.stringify(meta({ v: v1 })));
    const reopened = await openDirCache(dir);
    assert.deepEqual(await reopened.metadata(), meta({ v: v2 }));
    assert.equal(existsSync(join(dir, 'committed-backup')), true, 'opening changes nothing');
    const w3 = reopened.startWrite();
    await w3.reuseLayer(v2);
    await w3.setMetadata(meta({ v: v2 }));
    await w3.commit();
    assert.equal(existsSync(join(dir, 'committed-backup')), false, 'the next commit removes it');
  });

  it('fails clearly when the directory does not exist', async () => {
    const dir = join(await tempDir(), 'missing');
    await assert.rejects(openDirCache(dir), (e: Error & { exitCode?: number }) => {
      assert.match(e.message, /failed to create volume cache/);
      assert.equal(e.exitCode, 1);
      return true;
    });
  });

  it('recovers an interrupted commit: committed-backup without committed is the previous version', async () => {
    const dir = await tempDir();
    const w = (await openDirCache(dir)).startWrite();
    const id = await w.addLayer(streamOf(await tarOf({ 'v1.txt': 'v1' })));
    await w.setMetadata(meta({ v1: id }));
    await w.commit();
    // Simulate a kill between "committed → committed-backup" and "staging → committed".
    const { rename } = await import('node:fs/promises');
    await rename(join(dir, 'committed'), join(dir, 'committed-backup'));
    const reopened = await openDirCache(dir);
    assert.deepEqual(await reopened.metadata(), meta({ v1: id }));
    assert.equal(await reopened.has(id), true);
    assert.deepEqual(await readAll(await reopened.layer(id)), await tarOf({ 'v1.txt': 'v1' }));
    // The next commit puts the backup back first, then commits on top of it.
    const w2 = reopened.startWrite();
    await w2.reuseLayer(id);
    await w2.setMetadata(meta({ v1: id, again: id }));
    await w2.commit();
    assert.deepEqual((await readdir(dir)).sort(), ['committed']);
    assert.deepEqual(await (await openDirCache(dir)).metadata(), meta({ v1: id, again: id }));
  });
});

describe('directory cache commit under SIGKILL (DESIGN.md "Reliability")', () => {
  it('always leaves the old or the new version fully usable', async () => {
    const dir = await tempDir();
    const script = join(import.meta.dirname, 'fixtures', 'commit-loop.ts');
    let everCommitted = false;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      // Wait for the first commit of this round (the child is warm), then kill at a random point.
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (out.includes('committed')) {
            clearInterval(t);
            resolve();
          }
        }, 5);
        child.on('exit', () => {
          clearInterval(t);
          reject(new Error(`child exited early: ${err}`));
        });
      });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 120)));
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
      everCommitted = true;

      const cache = await openDirCache(dir);
      const m = await cache.metadata();
      assert.ok(
        cache.exists(),
        `round ${round}: the committed cache must survive (got ${JSON.stringify(m)})`,
      );
      const bp = m.buildpacks[0];
      assert.ok(
        bp !== undefined && Object.keys(bp.layers).length > 0,
        `round ${round}: metadata must not be empty`,
      );
      for (const l of Object.values(bp.layers)) {
        assert.equal(await cache.has(l.sha), true, `round ${round}: layer ${l.sha} must be present`);
        await readAll(await cache.layer(l.sha)); // verified against the diffID while reading
      }
    }
    assert.ok(everCommitted);
  });
});
