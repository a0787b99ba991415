import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import type { LayerEntry } from './walk.ts';
import { writeLayer } from './write.ts';

/** Parse a tar back with tar-stream: headers and contents. */
async function parseTar(bytes: Buffer): Promise<Array<{ header: Header; data: Buffer }>> {
  const ex = extract();
  Readable.from([bytes]).pipe(ex);
  const out: Array<{ header: Header; data: Buffer }> = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  return out;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A small tree with fixed contents and modes (chmod'ed explicitly so the umask does not matter). */
function makeTree(root: string): void {
  const d = (p: string, mode: number) => {
    mkdirSync(join(root, p), { recursive: true });
    chmodSync(join(root, p), mode);
  };
  const f = (p: string, data: string, mode: number) => {
    writeFileSync(join(root, p), data);
    chmodSync(join(root, p), mode);
  };
  d('.', 0o755);
  d('bin', 0o755);
  f('bin/run', '#!/bin/sh\necho hi\n', 0o755);
  d('lib', 0o750);
  f('lib/data.txt', 'hello\n', 0o644);
  symlinkSync('data.txt', join(root, 'lib/link'));
  symlinkSync('/usr/bin/env', join(root, 'lib/abs-link'));
  d('empty', 0o700);
  const deep = `deep/${'a'.repeat(60)}/${'b'.repeat(60)}`;
  d(deep, 0o755);
  chmodSync(join(root, 'deep'), 0o755);
  chmodSync(join(root, 'deep', 'a'.repeat(60)), 0o755);
  f(`${deep}/${'c'.repeat(70)}.txt`, 'deep\n', 0o600);
  f('é-unicode.txt', 'unicode\n', 0o644);
  f('a-b', 'sorts before a/ byte-wise\n', 0o644);
  d('a', 0o755);
  f('a/z', '', 0o644);
}

const parents: LayerEntry[] = [
  { name: '/layers', type: 'dir', mode: 0o755, uid: 0, gid: 0 },
  { name: '/layers/example_bp', type: 'dir', mode: 0o755, uid: 1000, gid: 1001 },
];

describe('writeLayer', () => {
  let tmp: string;
  let tree: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'layer-write-'));
    tree = join(tmp, 'tree');
    makeTree(tree);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const source = () => ({ dir: tree, prefix: '/layers/example_bp/node', parents, uid: 1000, gid: 1001 });

  it('reproduces the reference lifecycle layer digest (acceptance fixture sha256:258dfa0c…)', async () => {
    // acceptance/testdata/exporter: /layers/corrupted_buildpack/corrupted-layer/data, CNB_USER_ID=1234, CNB_GROUP_ID=1000
    const entries: LayerEntry[] = [
      { name: '/layers', type: 'dir', mode: 0o755, uid: 1234, gid: 1000 },
      { name: '/layers/corrupted_buildpack', type: 'dir', mode: 0o755, uid: 1234, gid: 1000 },
      { name: '/layers/corrupted_buildpack/corrupted-layer', type: 'dir', mode: 0o755, uid: 1234, gid: 1000 },
      {
        name: '/layers/corrupted_buildpack/corrupted-layer/data',
        type: 'file',
        mode: 0o644,
        uid: 1234,
        gid: 1000,
        content: 'digest-not-match-data\n',
      },
    ];
    const r = await writeLayer(entries, join(tmp, 'fixture.tar'), { compression: 'none' });
    assert.equal(r.diffID, 'sha256:258dfa0cc987efebc17559694866ebc91139e7c0e574f60d1d4092f53d7dff59');
    assert.equal(r.digest, r.diffID);
    assert.equal(r.size, 3584);
  });

  it('writes the pinned bytes for a fixed tree, identically on every run', async () => {
    const a = await writeLayer(source(), join(tmp, 'a.tgz'), { tarSink: join(tmp, 'a.tar') });
    const b = await writeLayer(source(), join(tmp, 'b.tgz'));
    assert.deepEqual(a, b);
    assert.deepEqual(readFileSync(join(tmp, 'a.tgz')), readFileSync(join(tmp, 'b.tgz')));
    const tar = readFileSync(join(tmp, 'a.tar'));
    const gz = readFileSync(join(tmp, 'a.tgz'));
    assert.equal(a.diffID, sha(tar));
    assert.equal(a.digest, sha(gz));
    assert.equal(a.size, gz.length);
    assert.deepEqual(gunzipSync(gz), tar);
    assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3], 'fixed gzip header');
    // Pinned once; a change here changes every layer digest (and cross-implementation layer reuse).
    assert.equal(a.diffID, 'sha256:aae6a0628cfdad0e0bafd6c2940230b158d9c474c6d0ae60347cd798ce55b407');
    assert.equal(a.digest, 'sha256:65390a7028ea0385ec662d64325504ef05cfa0fe74b4ea7af5bef2c393d6eb70');
  });

  it('writes full image paths, parents first, sorted, with normalized metadata', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeLayer(source(), out, { compression: 'none' });
    const entries = await parseTar(Buffer.concat(chunks));
    const p = '/layers/example_bp/node';
    const deep = `${p}/deep/${'a'.repeat(60)}/${'b'.repeat(60)}`;
    assert.deepEqual(
      entries.map((e) => [
        e.header.name,
        e.header.type,
        e.header.mode.toString(8),
        e.header.uid,
        e.header.gid,
      ]),
      [
        ['/layers', 'directory', '755', 0, 0],
        ['/layers/example_bp', 'directory', '755', 1000, 1001],
        [p, 'directory', '755', 1000, 1001],
        [`${p}/a`, 'directory', '755', 1000, 1001],
        [`${p}/a/z`, 'file', '644', 1000, 1001],
        [`${p}/a-b`, 'file', '644', 1000, 1001],
        [`${p}/bin`, 'directory', '755', 1000, 1001],
        [`${p}/bin/run`, 'file', '755', 1000, 1001],
        [`${p}/deep`, 'directory', '755', 1000, 1001],
        [`${p}/deep/${'a'.repeat(60)}`, 'directory', '755', 1000, 1001],
        [deep, 'directory', '755', 1000, 1001],
        [`${deep}/${'c'.repeat(70)}.txt`, 'file', '600', 1000, 1001],
        [`${p}/empty`, 'directory', '700', 1000, 1001],
        [`${p}/lib`, 'directory', '750', 1000, 1001],
        [`${p}/lib/abs-link`, 'symlink', '777', 1000, 1001],
        [`${p}/lib/data.txt`, 'file', '644', 1000, 1001],
        [`${p}/lib/link`, 'symlink', '777', 1000, 1001],
        [`${p}/é-unicode.txt`, 'file', '644', 1000, 1001],
      ],
    );
    for (const e of entries) {
      assert.equal(e.header.mtime.getTime(), Date.UTC(1980, 0, 1, 0, 0, 1));
      assert.equal(e.header.uname, '');
      assert.equal(e.header.gname, '');
    }
    assert.equal(entries.find((e) => e.header.name.endsWith('/lib/link'))?.header.linkname, 'data.txt');
    assert.equal(entries.find((e) => e.header.name.endsWith('abs-link'))?.header.linkname, '/usr/bin/env');
    assert.equal(
      entries.find((e) => e.header.name.endsWith('bin/run'))?.data.toString(),
      '#!/bin/sh\necho hi\n',
    );
  });

  it('lists cleanly with the system tar', async () => {
    await writeLayer(source(), join(tmp, 'list.tgz'));
    const r = spawnSync('tar', ['--numeric-owner', '-tvzf', join(tmp, 'list.tgz')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 18);
    assert.match(lines[0] ?? '', /^drwxr-xr-x 0\/0 +0 1980-01-01 00:00 \/layers$/);
    assert.match(
      lines[7] ?? '',
      /^-rwxr-xr-x 1000\/1001 +18 1980-01-01 00:00 \/layers\/example_bp\/node\/bin\/run$/,
    );
    assert.match(lines[16] ?? '', /^lrwxrwxrwx 1000\/1001 +0 1980-01-01 00:00 .*\/lib\/link -> data\.txt$/);
    const x = join(tmp, 'gnu-x');
    mkdirSync(x);
    const xr = spawnSync('tar', ['-xzf', join(tmp, 'list.tgz'), '-C', x], { encoding: 'utf8' });
    assert.equal(xr.status, 0, xr.stderr);
    const node = join(x, 'layers/example_bp/node');
    const long = `deep/${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(70)}.txt`;
    for (const f of ['bin/run', 'lib/data.txt', long, 'é-unicode.txt', 'a-b']) {
      assert.deepEqual(readFileSync(join(node, f)), readFileSync(join(tree, f)), f);
    }
  });

  it('honours the gzip level and writes an empty layer as 1024 zero bytes', async () => {
    const fast = await writeLayer(source(), join(tmp, 'l1.tgz'), { gzipLevel: 1 });
    const best = await writeLayer(source(), join(tmp, 'l9.tgz'), { gzipLevel: 9 });
    assert.equal(fast.diffID, best.diffID);
    assert.notEqual(fast.digest, best.digest);
    await assert.rejects(writeLayer([], join(tmp, 'x.tgz'), { gzipLevel: 10 }), /gzip level/);
    const empty = await writeLayer([], join(tmp, 'empty.tar'), { compression: 'none' });
    assert.equal(empty.diffID, sha(Buffer.alloc(1024)));
  });

  it('fails with a LifecycleError, removes the partial blob, and stops on abort', async () => {
    const sink = join(tmp, 'missing.tgz');
    await assert.rejects(writeLayer({ dir: join(tmp, 'nope'), prefix: '/x', uid: 0, gid: 0 }, sink), {
      name: 'LifecycleError',
      code: 'ERR_LAYER_WALK',
      message: /nope/,
    });
    assert.equal(existsSync(sink), false);
    const bad: LayerEntry[] = [
      { name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, content: 'four' },
    ];
    await assert.rejects(writeLayer(bad, join(tmp, 'bad.tgz')), /size 3 does not match content/);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(writeLayer(source(), join(tmp, 'ab.tgz'), { signal: ac.signal }), {
      name: 'AbortError',
    });
  });
});
