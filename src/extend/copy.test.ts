import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { applyCopy } from './copy.ts';

const run = promisify(execFile);
let dir: string;
let ctx: string;
let root: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extend-copy-'));
  ctx = join(dir, 'ctx');
  root = join(dir, 'root');
  await mkdir(join(ctx, 'stage'), { recursive: true });
  await mkdir(root);
  await writeFile(join(ctx, 'stage', 'in-tar.txt'), 'from the tar\n');
  await run('tar', ['-cf', join(ctx, 'plain.tar'), '-C', join(ctx, 'stage'), 'in-tar.txt']);
  await writeFile(join(ctx, 'notes.gz'), gzipSync('not a tar, just gzip\n'));
  // an xz stream with data (of "hi\n"): Node cannot read it, so ADD cannot tell whether it is a tar
  const xzHi =
    'fd377a585a000004e6d6b4460200210116000000742fe5a301000268690a0000fb7be8e82a58434f00011b030b2fb9101fb6f37d010000000004595a';
  await writeFile(join(ctx, 'bundle.tar.xz'), Buffer.from(xzHi, 'hex'));
  await writeFile(join(ctx, 'notes.txt'), 'BZh hello: starts like bzip2, is text\n');
});
after(() => rm(dir, { recursive: true, force: true }));

// Dockerfile reference "COPY": sources match with Go's filepath.Match rules, whose classes negate with
// `[^...]` only (`[!...]` holds a literal `!`), as kaniko matches them (D-410).
describe('COPY sources (Dockerfile reference "COPY")', () => {
  it("match Go's classes and refuse a malformed pattern", async () => {
    const src = join(dir, 'globs');
    await mkdir(src);
    for (const f of ['qx.bin', '!x.bin', 'px.bin']) await writeFile(join(src, f), f);
    const copied = async (source: string) => {
      const dest = `/globs-${Buffer.from(source).toString('hex')}/`;
      await applyCopy({ root, context: src, sources: [source], dest });
      return (await readdir(join(root, dest))).sort();
    };
    assert.deepEqual(await copied('[!q]x.bin'), ['!x.bin', 'qx.bin']);
    assert.deepEqual(await copied('[^q]x.bin'), ['!x.bin', 'px.bin']);
    assert.deepEqual(await copied('[p-q]x.*'), ['px.bin', 'qx.bin']);
    await assert.rejects(
      applyCopy({ root, context: src, sources: ['x[.bin'], dest: '/none/' }),
      /syntax error in source pattern 'x\[\.bin': the \[ has no closing \]/,
    );
  });
});

describe('ADD archives (Dockerfile reference "ADD")', () => {
  it('unpacks a plain tar, copies a gzip file that is not a tar and text starting BZh, refuses xz', async () => {
    const add = (source: string, dest: string) =>
      applyCopy({ root, context: ctx, sources: [source], dest, extractArchives: true });
    await add('plain.tar', '/unpacked/');
    assert.equal(await readFile(join(root, 'unpacked', 'in-tar.txt'), 'utf8'), 'from the tar\n');
    await add('notes.gz', '/copied/');
    assert.ok((await lstat(join(root, 'copied', 'notes.gz'))).isFile());
    await add('notes.txt', '/copied/');
    assert.equal(
      await readFile(join(root, 'copied', 'notes.txt'), 'utf8'),
      'BZh hello: starts like bzip2, is text\n',
    );
    await assert.rejects(
      add('bundle.tar.xz', '/x/'),
      /bundle\.tar\.xz is xz-compressed: ADD unpacks only plain and gzip/,
    );
  });
});
