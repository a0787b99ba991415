// run.toml (platform.md "run.toml").
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRun, parseStack, readRun, readStack, writeRun } from './run.ts';
import { parseToml } from './toml.ts';

const parse = (text: string) => parseRun(parseToml(text, 'run.toml'), 'run.toml');

describe('run.toml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'run-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('parses images with mirrors (mirrors default to [])', () => {
    assert.deepEqual(parse('[[images]]\nimage = "a"\nmirrors = ["b", "c"]\n[[images]]\nimage = "d"\n'), {
      images: [
        { image: 'a', mirrors: ['b', 'c'] },
        { image: 'd', mirrors: [] },
      ],
    });
  });
  it('rejects mirrors without an image', () => {
    assert.throws(
      () => parse('[[images]]\nmirrors = ["b"]\n'),
      /images\[0\]\.mirrors: must not be present when image is not set/,
    );
  });
  it('round-trips; a missing file is undefined', async () => {
    assert.equal(await readRun(join(dir, 'none.toml')), undefined);
    const r = { images: [{ image: 'a', mirrors: ['m'] }] };
    await writeRun(join(dir, 'run.toml'), r);
    assert.deepEqual(await readRun(join(dir, 'run.toml')), r);
  });
});

describe('stack.toml (platform-0.11.md "stack.toml")', () => {
  const stack = (text: string) => parseStack(parseToml(text, 'stack.toml'), 'stack.toml');
  it('[run-image] image and mirrors are one run file entry', () => {
    assert.deepEqual(stack('[run-image]\nimage = "run:1"\nmirrors = ["m/run:1"]\n'), {
      images: [{ image: 'run:1', mirrors: ['m/run:1'] }],
    });
  });
  it('no [run-image] is an entry without an image; a missing file is undefined', async () => {
    assert.deepEqual(stack('[build-image]\nimage = "b"\n'), { images: [{ mirrors: [] }] });
    assert.equal(await readStack('/nonexistent/stack.toml'), undefined);
  });
});
