import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  await writeFile(join(ctx, 'bundle.tar.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('ADD archives (Dockerfile reference "ADD")', () => {
  it('unpacks a plain tar, copies a gzip file that is not a tar, refuses xz naming the file', async () => {
    const add = (source: string, dest: string) =>
      applyCopy({ root, context: ctx, sources: [source], dest, extractArchives: true });
    await add('plain.tar', '/unpacked/');
    assert.equal(await readFile(join(root, 'unpacked', 'in-tar.txt'), 'utf8'), 'from the tar\n');
    await add('notes.gz', '/copied/');
    assert.ok((await lstat(join(root, 'copied', 'notes.gz'))).isFile());
    await assert.rejects(
      add('bundle.tar.xz', '/x/'),
      /bundle\.tar\.xz is xz-compressed: ADD unpacks only plain and gzip/,
    );
  });
});
