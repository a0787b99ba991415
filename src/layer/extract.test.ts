import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { extractLayer } from './extract.ts';
import { END_OF_ARCHIVE, encodeHeader, padding, type TarHeader } from './tar-header.ts';
import { writeLayer } from './write.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tar(...entries: Array<TarHeader & { data?: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(encodeHeader({ ...e, size: e.type === 'file' ? data.length : 0 }), data);
    parts.push(Buffer.alloc(padding(data.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

const dir = (name: string, mode = 0o755): TarHeader => ({ name, type: 'dir', mode, uid: 0, gid: 0 });
const file = (name: string, data: string, mode = 0o644) => ({
  name,
  type: 'file' as const,
  mode,
  uid: 0,
  gid: 0,
  data,
});
const sym = (name: string, linkname: string): TarHeader => ({
  name,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  linkname,
});
const hard = (name: string, linkname: string): TarHeader => ({
  name,
  type: 'link',
  mode: 0o644,
  uid: 0,
  gid: 0,
  linkname,
});

describe('extractLayer', () => {
  let tmp: string;
  let n = 0;
  const target = () => join(tmp, `t${n++}`);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'layer-extract-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('restores a written layer: contents, modes, mtimes, links; verifies digest and diffID', async () => {
    const src = join(tmp, 'src');
    mkdirSync(join(src, 'ro'), { recursive: true });
    writeFileSync(join(src, 'x.sh'), 'echo x\n');
    chmodSync(join(src, 'x.sh'), 0o4750);
    writeFileSync(join(src, 'ro', 'f'), 'f\n');
    chmodSync(join(src, 'ro'), 0o555);
    symlinkSync('/usr/bin/env', join(src, 'abs'));
    symlinkSync('ro/f', join(src, 'rel'));
    const blob = join(tmp, 'src.tgz');
    const d = await writeLayer({ dir: src, prefix: '/layers/bp/layer', uid: 0, gid: 0 }, blob);
    chmodSync(join(src, 'ro'), 0o755);
    const t = target();
    const r = await extractLayer(Readable.from([readFileSync(blob)]), t, {
      expectDigest: d.digest,
      expectDiffID: d.diffID,
      expectSize: d.size,
    });
    assert.deepEqual(r, { ...d, entries: 6 });
    const root = join(t, 'layers/bp/layer');
    assert.equal(readFileSync(join(root, 'x.sh'), 'utf8'), 'echo x\n');
    assert.equal(statSync(join(root, 'x.sh')).mode & 0o7777, 0o4750);
    assert.equal(statSync(join(root, 'ro')).mode & 0o7777, 0o555);
    assert.equal(readlinkSync(join(root, 'abs')), '/usr/bin/env');
    assert.equal(readFileSync(join(root, 'rel'), 'utf8'), 'f\n');
    for (const p of ['x.sh', 'ro', 'ro/f']) {
      assert.equal(statSync(join(root, p)).mtime.toISOString(), '1980-01-01T00:00:01.000Z');
    }
    assert.equal(lstatSync(join(root, 'abs')).mtime.toISOString(), '1980-01-01T00:00:01.000Z');
    chmodSync(join(root, 'ro'), 0o755);
  });

  it('maps stripPrefix onto the target, skipping its parents', async () => {
    const t = target();
    const bytes = tar(
      dir('/layers'),
      dir('/layers/bp'),
      dir('/layers/bp/l', 0o750),
      file('/layers/bp/l/a', 'a'),
    );
    const r = await extractLayer(Readable.from([bytes]), t, { stripPrefix: '/layers/bp/l' });
    assert.equal(r.entries, 2);
    assert.equal(readFileSync(join(t, 'a'), 'utf8'), 'a');
    assert.equal(
      statSync(t).mode & 0o777,
      0o750,
      'a target created by the extraction gets the mode of its entry',
    );
    const again = await extractLayer(Readable.from([tar(dir('/layers/bp/l', 0o700))]), t, {
      stripPrefix: '/layers/bp/l',
    });
    assert.equal(again.entries, 1);
    assert.equal(statSync(t).mode & 0o777, 0o750, 'an existing target keeps its mode');
    await assert.rejects(
      extractLayer(Readable.from([tar(file('/layers/other/a', 'a'))]), target(), {
        stripPrefix: '/layers/bp/l',
      }),
      {
        code: 'ERR_LAYER_UNSAFE_ENTRY',
        message: "refusing to extract entry '/layers/other/a': it is outside '/layers/bp/l'",
      },
    );
  });

  it('skips entries the filter rejects and restores owners when asked', async () => {
    const t = target();
    const owned = { ...file('keep', 'k'), uid: 1234, gid: 4321 };
    const chown = process.getuid?.() === 0;
    await extractLayer(Readable.from([tar(file('skip', 's'), owned)]), t, {
      filter: (name) => name !== 'skip',
      chown,
    });
    assert.equal(existsSync(join(t, 'skip')), false);
    if (chown) assert.equal(statSync(join(t, 'keep')).uid, 1234);
    assert.equal(readFileSync(join(t, 'keep'), 'utf8'), 'k');
  });

  it('reports digest, diffID and size mismatches after reading everything', async () => {
    const bytes = tar(file('a', 'a'));
    const gz = gzipSync(bytes);
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(extractLayer(Readable.from([gz]), target(), { expectDigest: wrong }), {
      code: 'ERR_DIGEST_MISMATCH',
      message: `expected layer to have SHA '${wrong}'; found '${sha(gz)}'`,
    });
    await assert.rejects(extractLayer(Readable.from([gz]), target(), { expectDiffID: wrong }), {
      message: `expected layer contents to have SHA '${wrong}'; found '${sha(bytes)}'`,
    });
    await assert.rejects(extractLayer(Readable.from([gz]), target(), { expectSize: 10 }), {
      code: 'ERR_SIZE_MISMATCH',
    });
    const ok = await extractLayer(Readable.from([bytes]), target(), { expectDiffID: sha(bytes) });
    assert.equal(ok.digest, sha(bytes));
  });

  const refusals: Array<[string, Buffer, RegExp]> = [
    [
      'a .. component',
      tar(file('a/../../evil', 'x')),
      /entry 'a\/\.\.\/\.\.\/evil': its path contains '\.\.'/,
    ],
    ['a leading ..', tar(file('../evil', 'x')), /entry '\.\.\/evil'/],
    [
      'a symlink climbing out',
      tar(dir('d'), sym('d/up', '../../etc')),
      /symlink target '\.\.\/\.\.\/etc' climbs out/,
    ],
    [
      'a write through a symlink entry',
      tar(sym('s', '/etc'), file('s/passwd', 'x')),
      /entry 's\/passwd': '.*\/s' is a symlink/,
    ],
    [
      'a hard link to an earlier entry outside',
      tar(hard('h', '/etc/passwd')),
      /entry 'h': hard link target '\/etc\/passwd'/,
    ],
    ['a hard link with ..', tar(file('a', 'a'), hard('h', '../a')), /hard link target '\.\.\/a'/],
    [
      'a character device',
      tar({ name: 'null', type: 'char', mode: 0o666, uid: 0, gid: 0, devmajor: 1, devminor: 3 }),
      /entry 'null': device files are not allowed/,
    ],
    [
      'a block device',
      tar({ name: 'sda', type: 'block', mode: 0o660, uid: 0, gid: 0, devmajor: 8 }),
      /entry 'sda': device files/,
    ],
    [
      'a fifo',
      tar({ name: 'p', type: 'fifo', mode: 0o644, uid: 0, gid: 0 }),
      /entry 'p': unsupported entry type 'fifo'/,
    ],
    ['a file replacing a directory', tar(dir('d'), file('d', 'x')), /entry 'd': '.*\/d' is a directory/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const t = target();
      await assert.rejects(extractLayer(Readable.from([bytes]), t), {
        name: 'LifecycleError',
        code: 'ERR_LAYER_UNSAFE_ENTRY',
        message,
      });
      assert.equal(existsSync(join(t, '..', 'evil')), false);
    });
  }

  it('refuses to write through a symlink already in the target', async () => {
    const t = target();
    const outside = join(tmp, 'outside');
    mkdirSync(outside);
    mkdirSync(t);
    symlinkSync(outside, join(t, 'lib'));
    await assert.rejects(
      extractLayer(Readable.from([tar(file('lib/x', 'x'))]), t),
      /entry 'lib\/x': '.*\/lib' is a symlink/,
    );
    assert.equal(existsSync(join(outside, 'x')), false);
  });

  it('replaces an existing symlink with a file instead of writing through it', async () => {
    const t = target();
    const victim = join(tmp, 'victim');
    writeFileSync(victim, 'safe');
    mkdirSync(t);
    symlinkSync(victim, join(t, 'f'));
    await extractLayer(Readable.from([tar(file('f', 'new'))]), t);
    assert.equal(readFileSync(victim, 'utf8'), 'safe');
    assert.equal(readFileSync(join(t, 'f'), 'utf8'), 'new');
  });

  it('hashes record padding after the end marker (GNU tar pads to 10 KiB)', async () => {
    const padded = Buffer.concat([tar(file('a', 'a')), Buffer.alloc(8192)]);
    const r = await extractLayer(Readable.from([padded.subarray(0, 700), padded.subarray(700)]), target(), {
      expectDiffID: sha(padded),
      expectSize: padded.length,
    });
    assert.equal(r.size, padded.length);
  });

  it('writes absolute names inside the target, never at the host path', async () => {
    const t = target();
    const hostPath = `/tmp/layer-extract-escape-${process.pid}`;
    await extractLayer(Readable.from([tar(file(hostPath, 'x'), file(`//${hostPath}2`, 'y'))]), t);
    assert.equal(existsSync(hostPath), false);
    assert.equal(readFileSync(join(t, hostPath), 'utf8'), 'x');
    assert.equal(readFileSync(join(t, `${hostPath}2`), 'utf8'), 'y');
  });

  it('extracts hard links to earlier files and absolute symlinks', async () => {
    const t = target();
    await extractLayer(Readable.from([tar(file('/a', 'a'), hard('/b', '/a'), sym('/s', '/etc/hosts'))]), t);
    assert.equal(statSync(join(t, 'a')).ino, statSync(join(t, 'b')).ino);
    assert.equal(readlinkSync(join(t, 's')), '/etc/hosts');
  });
});
