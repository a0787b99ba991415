import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compilePattern, planAppLayers } from './export-slices.ts';

const matchRel = (pattern: string, rel: string) => {
  const p = compilePattern(pattern);
  if (p === undefined) return false;
  const comps = rel.split('/');
  return comps.length === p.length && comps.every((c, i) => p[i]!.test(c));
};

// docs/reference-behaviour.md §6 "App slices": Go filepath.Match globs, relative to the app dir.
describe('app slices', () => {
  it('matches like Go filepath.Match, cleaned, never escaping the app dir', () => {
    const cases: [string, string, boolean][] = [
      ['*.txt', 'a.txt', true],
      ['*.txt', 'dir/a.txt', false],
      ['dir/*', 'dir/a.txt', true],
      ['dir/**', 'dir/a', true],
      ['dir/', 'dir', true],
      ['./dir//x', 'dir/x', true],
      ['fil?', 'file', true],
      ['[a-c]x', 'bx', true],
      ['[^a-c]x', 'bx', false],
      ['\\*', '*', true],
      ['../**', 'x', false],
      ['/abs', 'abs', true],
    ];
    for (const [p, rel, want] of cases) assert.equal(matchRel(p, rel), want, `${p} vs ${rel}`);
    assert.equal(compilePattern('[unclosed'), undefined);
  });

  it('slices take matched subtrees and missing parents; the rest keeps unsliced entries', async () => {
    const app = await mkdtemp(join(tmpdir(), 'slices-'));
    try {
      for (const f of ['a/1.txt', 'a/2.txt', 'b/c/3.txt', 'b/4.txt', 'top.txt', 'target-di[r]/x'])
        await mkdir(join(app, f, '..'), { recursive: true }).then(() => writeFile(join(app, f), f));
      await mkdir(join(app, 'empty'));
      await symlink('b', join(app, 'link'));
      const plans = await planAppLayers(app, [
        { paths: ['a/*'] },
        { paths: ['b/c', 'link/*', 'target-di[r]'] },
        { paths: ['missing'] },
      ]);
      const names = async (k: number) =>
        (await plans[k]!.entries(1000, 1000)).map((e) => e.name).filter((n) => n.startsWith(app));
      const rel = async (k: number) => (await names(k)).map((n) => n.slice(app.length));
      assert.deepEqual(await rel(0), ['', '/a', '/a/1.txt', '/a/2.txt']);
      assert.deepEqual(await rel(1), ['', '/b', '/b/c', '/b/c/3.txt']);
      assert.deepEqual(await rel(2), []);
      assert.deepEqual(await rel(3), [
        '',
        '/b',
        '/b/4.txt',
        '/empty',
        '/link',
        '/target-di[r]',
        '/target-di[r]/x',
        '/top.txt',
      ]);
      const first = (await plans[0]!.entries(1000, 1000)).find((e) => e.name === `${app}/a/1.txt`);
      assert.equal(first?.uid, 1000);
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });
});
