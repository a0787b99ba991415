import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BP_DIR, type Scenario, standardScenario } from '../../test/restorer/fixture.ts';
import { readAnalyzed } from '../files/index.ts';
import { memoryLogger, parseApi } from '../platform/index.ts';
import { type RestoreOptions, restore } from './restore.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function scenario(bpApi?: string): Promise<Scenario> {
  const s = await standardScenario(bpApi);
  roots.push(s.root);
  return s;
}

const opts = (s: Scenario, extra: Partial<RestoreOptions> = {}): RestoreOptions => ({
  layers: s.layers,
  group: s.group,
  analyzed: s.analyzed,
  cacheDir: s.cacheDir,
  skipLayers: false,
  env: {},
  platformApi: parseApi('0.12')!,
  ...extra,
});

const read = (p: string) => readFile(p, 'utf8');

describe('restore (platform.md "restorer"; docs/reference-behaviour.md §3)', () => {
  it('restores store.toml, layer metadata per Layer Types, cached contents and layer SBOMs', async () => {
    const s = await scenario();
    const log = memoryLogger();
    await restore(opts(s), log);
    const bp = join(s.layers, BP_DIR);

    assert.match(await read(join(bp, 'store.toml')), /\[metadata\][\s\S]*answer = 42/);
    // launch=true only: metadata, no contents; no [types] in restored files.
    const launchOnly = await read(join(bp, 'launch-only.toml'));
    assert.match(launchOnly, /\[metadata\]\s*\n\s*launch-key = "launch-value"/);
    assert.doesNotMatch(launchOnly, /types/);
    assert.equal(existsSync(join(bp, 'launch-only')), false);
    // launch+cache: app metadata wins, contents from the cache.
    assert.match(await read(join(bp, 'launch-cache.toml')), /from = "app"/);
    assert.equal(await read(join(bp, 'launch-cache', 'data')), 'launch-cache-data\n');
    // cache-only build layer: metadata from the cache and contents.
    assert.match(await read(join(bp, 'cached.toml')), /version = "1.2.3"/);
    assert.equal(await read(join(bp, 'cached', 'bin', 'tool')), 'tool\n');
    // launch+build without cache, and cache=false layers: nothing.
    for (const gone of ['launch-build', 'not-cached', 'stale', 'corrupted', 'missing']) {
      assert.equal(existsSync(join(bp, `${gone}.toml`)), false, `${gone}.toml`);
      assert.equal(existsSync(join(bp, gone)), false, gone);
    }
    assert.equal(existsSync(join(s.layers, 'unused_bp')), false, 'buildpacks outside the group are ignored');
    // SBOMs of layers, from the cache and from the previous image; buildpack-level ones are not restored.
    assert.equal(await read(join(bp, 'cached.sbom.cdx.json')), '{"cached":true}');
    assert.equal(await read(join(bp, 'launch-only.sbom.spdx.json')), '{"launch":true}');
    assert.equal(existsSync(join(bp, 'sbom.cdx.json')), false);
    assert.equal(existsSync(join(s.layers, 'sbom')), false, '<layers>/sbom is deleted');
    assert.deepEqual(
      (await readdir(bp)).filter((f) => f.endsWith('.tmp')),
      [],
    );

    const lines = log.lines.join('\n');
    assert.match(lines, /info: Restoring metadata for "example\/cacher:launch-only" from app image/);
    assert.match(lines, /info: Restoring metadata for "example\/cacher:cached" from cache/);
    assert.match(lines, /info: Restoring data for "example\/cacher:cached" from cache/);
    assert.match(lines, /info: Removing "example\/cacher:stale", wrong sha/);
    assert.match(lines, /warn: Skipping restore for layer example\/cacher:corrupted: .*SHA/);
    assert.match(
      lines,
      /warn: Skipping restore for layer example\/cacher:missing: failed to find cache layer/,
    );
    assert.match(lines, /info: Restoring data for SBOM from cache/);
    // analyzed.toml is rewritten, unchanged in content (no extensions in the group).
    assert.equal((await readAnalyzed(s.analyzed))?.runImage?.reference, 'registry.example/run@sha256:1111');
  });

  it('with skip-layers writes only store.toml', async () => {
    const s = await scenario();
    const log = memoryLogger();
    await restore(opts(s, { skipLayers: true }), log);
    assert.deepEqual(await readdir(join(s.layers, BP_DIR)), ['store.toml']);
    assert.match(log.lines.join('\n'), /Skipping buildpack layer analysis/);
  });

  it('without a cache restores app image metadata only, with a warning', async () => {
    const s = await scenario();
    const log = memoryLogger();
    const { cacheDir: _c, ...noCache } = opts(s);
    await restore(noCache, log);
    const files = (await readdir(join(s.layers, BP_DIR))).sort();
    assert.deepEqual(files, ['launch-only.sbom.spdx.json', 'launch-only.toml', 'store.toml']);
    assert.match(log.lines.join('\n'), /warn: No cached data will be used, no cache specified\./);
  });

  it('fails with exit 12 for an unsupported buildpack API, before touching anything', async () => {
    const s = await scenario('0.1');
    await assert.rejects(restore(opts(s), memoryLogger()), (e: Error & { exitCode?: number }) => {
      assert.equal(e.exitCode, 12);
      assert.match(e.message, /'0\.1'/);
      return true;
    });
    assert.equal(existsSync(join(s.layers, BP_DIR)), false);
  });

  it('warns and continues when analyzed.toml is missing or unusable', async () => {
    const s = await scenario();
    await writeFile(s.analyzed, 'not = [valid');
    const log = memoryLogger();
    await restore(opts(s), log);
    assert.match(log.lines.join('\n'), /warn: Not using analyzed data, usable file not found/);
    assert.equal(
      existsSync(join(s.layers, BP_DIR, 'cached', 'data')),
      true,
      'cache-only layers still restored',
    );
    await rm(s.analyzed);
    const log2 = memoryLogger();
    await restore(opts(s), log2);
    assert.match(log2.lines.join('\n'), /warn: No analyzed metadata found at path/);
  });

  it('fails with exit 42 when a layer cannot be written', async () => {
    const s = await scenario();
    // The buildpack's layers directory is a file, so nothing can be extracted beside the layer: a failure
    // other than cache damage. (A file in the layer's own place is replaced, since layers are renamed in.)
    await restore(opts(s, { skipLayers: true }), memoryLogger());
    await rm(join(s.layers, BP_DIR), { recursive: true });
    await writeFile(join(s.layers, BP_DIR), 'in the way');
    await assert.rejects(restore(opts(s), memoryLogger()), (e: Error & { exitCode?: number }) => {
      assert.equal(e.exitCode, 42);
      assert.match(e.message, /^failed to restore: /);
      return true;
    });
  });
});
