import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBuildLayers, prependLayerPaths } from './build-env.ts';
import { readEnvDir } from './env-dir.ts';

let root: string;
async function put(rel: string, content = ''): Promise<void> {
  const p = join(root, rel);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
}
async function dir(rel: string): Promise<void> {
  await mkdir(join(root, rel), { recursive: true });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'build-env-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

// buildpack.md "Layer Paths": bin → PATH; lib → LD_LIBRARY_PATH, LIBRARY_PATH; include → CPATH;
// pkgconfig → PKG_CONFIG_PATH; only existing directories are added.
describe('prependLayerPaths', () => {
  const cases: Array<[string, string[], Record<string, string>, Record<string, string>]> = [
    ['bin only', ['bin'], { PATH: '/usr/bin' }, { PATH: '/l/bin:/usr/bin' }],
    ['lib feeds two vars', ['lib'], {}, { LD_LIBRARY_PATH: '/l/lib', LIBRARY_PATH: '/l/lib' }],
    [
      'include and pkgconfig',
      ['include', 'pkgconfig'],
      {},
      { CPATH: '/l/include', PKG_CONFIG_PATH: '/l/pkgconfig' },
    ],
    ['nothing exists', [], { PATH: '/usr/bin' }, { PATH: '/usr/bin' }],
  ];
  for (const [name, subs, env, want] of cases) {
    it(name, () => assert.deepEqual(prependLayerPaths(env, '/l', new Set(subs)), want));
  }
});

describe('readEnvDir', () => {
  it('reads plain files in lexical order, follows file symlinks, skips dirs and a missing dir', async () => {
    await put('e1/B', 'b');
    await put('e1/A.append', 'a\n');
    await dir('e1/sub');
    await put('target', 't');
    await symlink(join(root, 'target'), join(root, 'e1/C'));
    await symlink(join(root, 'e1/sub'), join(root, 'e1/D'));
    assert.deepEqual(await readEnvDir(join(root, 'e1')), [
      { fileName: 'A.append', content: 'a\n' },
      { fileName: 'B', content: 'b' },
      { fileName: 'C', content: 't' },
    ]);
    assert.deepEqual(await readEnvDir(join(root, 'missing')), []);
  });
});

// buildpack.md "Environment Variable Modification Rules" and "Layer Paths", across two buildpacks
// (A runs first, then B) with two layers in A.
describe('applyBuildLayers', () => {
  it('orders paths, append/prepend/override/default across layers and buildpacks', async () => {
    await dir('A/a1/bin');
    await dir('A/a2/bin');
    await dir('A/a2/lib');
    await dir('B/b1/bin');
    await put('A/a1/env/V.append', 'a1');
    await put('A/a1/env/V.delim', ':');
    await put('A/a2/env.build/V.append', 'a2');
    await put('A/a2/env.build/V.delim', ':');
    await put('B/b1/env/V.prepend', 'b1');
    await put('B/b1/env/V.delim', ':');
    await put('A/a1/env/O', 'one');
    await put('A/a2/env/O', 'two');
    await put('A/a1/env/D.default', 'first');
    await put('A/a2/env/D.default', 'second');
    await put('A/a1/env/W.override', 'env');
    await put('A/a1/env.build/W.override', 'env.build');
    await put('A/a1/env/P.prepend', 'p-env');
    await put('A/a1/env.build/P.prepend', 'p-build');
    await put('A/a2/env/P.prepend', 'p-a2');
    const base = { PATH: '/usr/bin', V: 'base' };
    const afterA = await applyBuildLayers(base, [join(root, 'A/a2'), join(root, 'A/a1')]);
    const afterB = await applyBuildLayers(afterA, [join(root, 'B/b1')]);
    assert.equal(
      afterB['PATH'],
      [join(root, 'B/b1/bin'), join(root, 'A/a1/bin'), join(root, 'A/a2/bin'), '/usr/bin'].join(':'),
    );
    assert.equal(afterB['LD_LIBRARY_PATH'], join(root, 'A/a2/lib'));
    assert.equal(afterB['V'], 'b1:base:a1:a2');
    assert.equal(afterB['O'], 'two'); // later layer overrides
    assert.equal(afterB['D'], 'first'); // earlier layer's default wins
    assert.equal(afterB['W'], 'env.build'); // env.build overrides env/ in the same layer
    // prepend: later layer first; within a layer env.build before env/ (no delim → joined directly)
    assert.equal(afterB['P'], 'p-a2p-buildp-env');
    assert.equal(base['V'], 'base');
  });
});
