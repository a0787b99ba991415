import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isExcluded, mayIncludeBelow, parseDockerignore, readDockerignore } from './dockerignore.ts';

describe('.dockerignore', () => {
  it("matches as Docker's pattern matcher: wildcards, **, parents, last rule wins", () => {
    const r = parseDockerignore(
      '/node_modules\n**/*.log\n!keep.log\ndocs/*.md\n!docs/README.md\ntmp?\n[ab].bin\n',
      'x',
    );
    const cases: [string, boolean][] = [
      ['node_modules', true],
      ['node_modules/a/b.js', true],
      ['sub/node_modules', false],
      ['a.log', true],
      ['deep/er/a.log', true],
      ['keep.log', false],
      ['deep/keep.log', true],
      ['docs/x.md', true],
      ['docs/README.md', false],
      ['docs/sub/x.md', false],
      ['tmp1', true],
      ['tmp12', false],
      ['a.bin', true],
      ['c.bin', false],
      ['src/index.ts', false],
      ['.', false],
    ];
    for (const [p, want] of cases) assert.equal(isExcluded(r, p), want, p);
    assert.equal(mayIncludeBelow(parseDockerignore('docs\n!docs/keep\n', 'x'), 'docs'), true);
    assert.equal(mayIncludeBelow(r, 'node_modules'), false);
  });

  it('reads <Dockerfile>.dockerignore before <context>/.dockerignore, as kaniko', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockerignore-'));
    try {
      const ctx = join(dir, 'ctx');
      await mkdir(ctx);
      const df = join(dir, 'Dockerfile');
      assert.equal(await readDockerignore(df, ctx), undefined);
      await writeFile(join(ctx, '.dockerignore'), 'a\n');
      assert.equal((await readDockerignore(df, ctx))?.file, join(ctx, '.dockerignore'));
      await writeFile(`${df}.dockerignore`, 'b\n');
      const r = await readDockerignore(df, ctx);
      assert.equal(r?.file, `${df}.dockerignore`);
      assert.equal(isExcluded(r, 'b'), true);
      assert.equal(isExcluded(r, 'a'), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
