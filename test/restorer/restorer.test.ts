import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCache } from '../../src/cache/index.ts';
import { readAnalyzed, writeAnalyzed } from '../../src/files/index.ts';
import { emptyImage, mutate, remote } from '../../src/image/index.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { BP, BP_DIR, type Scenario, standardScenario } from './fixture.ts';
import { addDirLayer, cacheMeta, lm } from './helpers.ts';

/**
 * Black-box: dist/lifecycle/restorer run as a platform would (platform.md `restorer`;
 * docs/reference-behaviour.md §3), on layers, group.toml and analyzed.toml written here and caches made with
 * this project's cache writer.
 */
const ENV = { CNB_PLATFORM_API: '0.12' };
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
async function scenario(bpApi?: string): Promise<Scenario> {
  const s = await standardScenario(bpApi);
  roots.push(s.root);
  return s;
}
const read = (p: string) => readFile(p, 'utf8');

describe('restorer (black-box)', () => {
  it('restores from -cache-dir: store.toml, metadata per layer type, cached contents, SBOMs', async () => {
    const s = await scenario();
    const r = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', s.cacheDir], ENV);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bp = join(s.layers, BP_DIR);
    assert.match(await read(join(bp, 'store.toml')), /answer = 42/);
    assert.match(await read(join(bp, 'launch-only.toml')), /launch-key = "launch-value"/);
    assert.equal(
      existsSync(join(bp, 'launch-only')),
      false,
      'launch-only layers get metadata, never contents',
    );
    assert.equal(await read(join(bp, 'launch-cache', 'data')), 'launch-cache-data\n');
    assert.equal(await read(join(bp, 'cached', 'data')), 'cached-data\n');
    assert.equal(existsSync(join(bp, 'launch-build.toml')), false);
    assert.equal(existsSync(join(bp, 'stale')), false);
    assert.equal(existsSync(join(s.layers, 'unused_bp')), false);
    assert.equal(await read(join(bp, 'cached.sbom.cdx.json')), '{"cached":true}');
    assert.equal(existsSync(join(s.layers, 'sbom')), false);
    assert.match(r.stdout, /Restoring metadata for "example\/cacher:launch-only" from app image/);
    assert.match(r.stdout, /Restoring data for "example\/cacher:cached" from cache/);
    assert.match(r.stdout, /Removing "example\/cacher:stale", wrong sha/);
  });

  it('a corrupted cache layer is a clear warning, the layer is not restored, and the build goes on', async () => {
    const s = await scenario();
    const r = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', s.cacheDir], ENV);
    assert.equal(r.code, 0);
    assert.match(
      r.stderr,
      /Skipping restore for layer example\/cacher:corrupted: expected layer contents to have SHA 'sha256:[0-9a-f]{64}'; found 'sha256:[0-9a-f]{64}'/,
    );
    assert.equal(existsSync(join(s.layers, BP_DIR, 'corrupted')), false);
    assert.equal(existsSync(join(s.layers, BP_DIR, 'corrupted.toml')), false);
  });

  it('-skip-layers and CNB_SKIP_RESTORE restore store.toml only', async () => {
    for (const [args, env] of [
      [['-skip-layers'], {}],
      [[], { CNB_SKIP_RESTORE: 'true' }],
      [[], { CNB_SKIP_LAYERS: '1' }],
    ] as const) {
      const s = await scenario();
      const r = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', s.cacheDir, ...args], {
        ...ENV,
        ...env,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await readdir(join(s.layers, BP_DIR)), ['store.toml'], JSON.stringify({ args, env }));
      assert.match(r.stdout, /Skipping buildpack layer analysis/);
    }
  });

  it('without a cache warns and restores app image metadata only', async () => {
    const s = await scenario();
    const r = await runPhase('restorer', [], { ...ENV, CNB_LAYERS_DIR: s.layers });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /No cached data will be used, no cache specified\./);
    assert.equal(existsSync(join(s.layers, BP_DIR, 'launch-only.toml')), true);
    assert.equal(existsSync(join(s.layers, BP_DIR, 'cached.toml')), false);
  });

  it('exits 12 for a group buildpack with an unsupported API', async () => {
    const s = await scenario('0.1');
    const r = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', s.cacheDir], ENV);
    assert.equal(r.code, 12, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /buildpack API '0\.1'/);
  });

  it('exits 3 for positional arguments and 1 for a missing cache directory or group.toml', async () => {
    const s = await scenario();
    assert.equal((await runPhase('restorer', ['-layers', s.layers, 'extra'], ENV)).code, 3);
    const noDir = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', join(s.root, 'nope')], ENV);
    assert.equal(noDir.code, 1);
    assert.match(noDir.stderr, /failed to create volume cache/);
    const noGroup = await runPhase(
      'restorer',
      ['-layers', s.layers, '-group', join(s.root, 'nope.toml')],
      ENV,
    );
    assert.equal(noGroup.code, 1);
  });

  // Needs root, like the daemon tests (the suite runs as root; docs/reference-behaviour.md §0.8).
  it('as root with -uid/-gid hands <layers> and the cache to the build user and writes as that user', async () => {
    assert.equal(process.getuid?.(), 0, 'this test must run as root');
    const s = await scenario();
    await chmod(s.root, 0o755);
    const r = await runPhase(
      'restorer',
      ['-layers', s.layers, '-cache-dir', s.cacheDir, '-uid', '1234', '-gid', '2345'],
      ENV,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bp = join(s.layers, BP_DIR);
    for (const p of [
      'store.toml',
      'cached.toml',
      'cached',
      join('cached', 'data'),
      join('cached', 'bin', 'tool'),
    ]) {
      const st = await stat(join(bp, p));
      assert.deepEqual([st.uid, st.gid], [1234, 2345], p);
    }
    assert.equal((await stat(join(s.cacheDir, 'committed'))).uid, 1234);
  });

  describe('-cache-image', () => {
    let reg: RegistryHandle;
    before(async () => {
      reg = await startRegistry();
    });
    after(async () => {
      await reg?.stop();
    });

    it('restores cached layers and SBOMs from a cache image on the registry', async () => {
      const s = await scenario();
      const ref = `${reg.host}/restorer/cache`;
      const w = (await openCache({ image: ref })).startWrite();
      const bp = join(s.layers, BP_DIR);
      const cached = await addDirLayer(w, join(bp, 'cached'), { data: 'from-image\n' });
      const launchCache = await addDirLayer(w, join(bp, 'launch-cache'), { data: 'lc-from-image\n' });
      await w.setMetadata(
        cacheMeta(BP, {
          cached: lm(cached, { build: true, cache: true }, { image: true }),
          'launch-cache': lm(launchCache, { launch: true, cache: true }),
        }),
      );
      await w.commit();
      // The app metadata must name the same launch-cache SHA for its contents to come back.
      const analyzed = (await read(s.analyzed)).replace(s.sha['launch-cache']!, launchCache);
      await writeFile(s.analyzed, analyzed);

      const r = await runPhase('restorer', ['-layers', s.layers, '-cache-image', ref], ENV);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(await read(join(bp, 'cached', 'data')), 'from-image\n');
      assert.match(await read(join(bp, 'cached.toml')), /image = true/);
      assert.equal(await read(join(bp, 'launch-cache', 'data')), 'lc-from-image\n');
      assert.equal(existsSync(join(bp, 'corrupted.toml')), false, 'only what the cache image lists');
    });

    it('with image extensions in the group, completes run-image reference and target in analyzed.toml', async () => {
      const s = await scenario();
      const runRef = `${reg.host}/restorer/run:latest`;
      const base = emptyImage({ os: 'linux', architecture: 'arm64' });
      const run = mutate(base, {
        config: {
          labels: {
            'io.buildpacks.base.distro.name': 'ubuntu',
            'io.buildpacks.base.distro.version': '24.04',
          },
        },
      });
      const pushed = await remote.write(runRef, run);
      await writeFile(
        s.group,
        `${await read(s.group)}\n[[group-extensions]]\n  id = "ext"\n  version = "1"\n  api = "0.10"\n`,
      );
      const before = await readAnalyzed(s.analyzed);
      await writeAnalyzed(s.analyzed, { ...before, runImage: { reference: runRef, image: runRef } });
      const r = await runPhase('restorer', ['-layers', s.layers], ENV);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const after = await readAnalyzed(s.analyzed);
      assert.equal(after?.runImage?.reference, `${reg.host}/restorer/run@${pushed.digest}`);
      assert.equal(after?.runImage?.image, runRef);
      assert.deepEqual(after?.runImage?.target, {
        os: 'linux',
        arch: 'arm64',
        distro: { name: 'ubuntu', version: '24.04' },
      });
      assert.deepEqual(after?.metadata, before?.metadata, 'the rest of analyzed.toml is kept');
    });

    it('a missing cache image is an empty cache', async () => {
      const s = await scenario();
      const r = await runPhase(
        'restorer',
        ['-layers', s.layers, '-cache-image', `${reg.host}/restorer/none`],
        ENV,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Layer cache not found/);
      assert.equal(existsSync(join(s.layers, BP_DIR, 'launch-only.toml')), true);
    });
  });
});
