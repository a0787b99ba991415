import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isExcluded, mayIncludeBelow, parseDockerignore, readDockerignore } from './dockerignore.ts';

/** A pattern, a context path, whether the pattern alone excludes it. */
type Case = [string, string, boolean];

function assertPatterns(cases: readonly Case[]): void {
  for (const [pattern, path, want] of cases)
    assert.equal(isExcluded(parseDockerignore(pattern, 'x'), path), want, `${pattern} ~ ${path}`);
}

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

  // Dockerfile reference ".dockerignore file": patterns follow Go's filepath.Match, whose classes
  // negate with `[^...]` only; `[!...]` holds a literal `!` (D-410).
  it('character classes as Go: [^x] negates, [!x] holds a literal !, ranges and escapes', () => {
    const cases: Case[] = [
      ['[^q]x.bin', 'px.bin', true],
      ['[^q]x.bin', 'qx.bin', false],
      ['[!q]x.bin', 'qx.bin', true],
      ['[!q]x.bin', '!x.bin', true],
      ['[!q]x.bin', 'px.bin', false],
      ['[^a-c]', 'b', false],
      ['[^a-c]', 'd', true],
      ['[a-c]z', 'bz', true],
      ['[a-c]z', 'dz', false],
      ['[\\]]', ']', true],
      ['[\\-]', '-', true],
      ['[\\-]', 'a', false],
      ['[a^]', '^', true],
      ['[*]', '*', true],
      ['[*]', 'x', false],
      ['[.]', 'x', false],
      ['x]', 'x]', true],
      ['\\*', '*', true],
      ['\\*', 'a', false],
      ['a.b', 'axb', false],
      ['é[é]', 'éé', true],
    ];
    assertPatterns(cases);
  });

  // Dockerfile reference ".dockerignore file": `**` matches any number of directories; moby's
  // patternmatcher pins that `abc/**` matches what is below abc but not abc itself, and that a
  // leading `**` followed by plain text is a suffix match (D-411).
  it('** as moby: dir/** is below dir only, a leading ** before plain text matches by suffix', () => {
    const cases: Case[] = [
      ['dir/**', 'dir', false],
      ['dir/**', 'dir/a', true],
      ['dir/**', 'dir/a/b', true],
      ['dir/**', 'dirx/a', false],
      ['**/dir', 'dir', true],
      ['**/dir', 'a/b/dir', true],
      ['**/dir', 'a/xdir', false],
      ['**.log', 'a.log', true],
      ['**.log', 'x/y/a.log', true],
      ['**ore.txt', 'more.txt', true],
      ['**ore.txt*', 'more.txt', false],
      ['**ore.txt*', 'ore.txt1', true],
      ['**', 'a/b', true],
      ['a/**/b', 'a/b', true],
      ['a/**/b', 'a/x/y/b', true],
    ];
    assertPatterns(cases);
  });

  // Docker's ignore-file reader: BOM dropped, `#` only at the very start of a line; Go's
  // filepath.Match rejects malformed patterns and `docker build` fails on them (D-410).
  it('reads lines as Docker and refuses malformed patterns naming the file and line', () => {
    const r = parseDockerignore('\uFEFFa\n #b\n', 'x');
    assert.equal(isExcluded(r, 'a'), true);
    assert.equal(isExcluded(r, '#b'), true);
    for (const [text, why] of [
      ['ok\n[abc', /ctx\/\.dockerignore:2: syntax error in pattern '\[abc': the \[ has no closing \]/],
      ['[]a]', /:1: .*'\[\]a\]': a \[\.\.\.\] class needs a character before \]/],
      ['[^]', /needs a character before \]/],
      ['[-a]', /a '-' in a \[\.\.\.\] class must follow a character/],
      ['[a-]', /needs a character before \]/],
      ['[z-a]', /the range z-a is out of order/],
      ['a\\', /a trailing \\ escapes nothing/],
      ['x\n!\n', /:2: '!' alone excludes nothing/],
    ] as const)
      assert.throws(() => parseDockerignore(text, 'ctx/.dockerignore'), why, text);
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
