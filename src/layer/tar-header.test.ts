import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { END_OF_ARCHIVE, encodeHeader, NORMALIZED_MTIME, padding, type TarHeader } from './tar-header.ts';

/** Parse a tar with tar-stream: headers plus contents. */
async function parseTar(
  bytes: Buffer,
): Promise<Array<{ header: import('tar-stream').Header; data: Buffer }>> {
  const ex = extract();
  Readable.from([bytes]).pipe(ex);
  const out: Array<{ header: import('tar-stream').Header; data: Buffer }> = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as unknown as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  return out;
}

function archive(...entries: Array<TarHeader & { data?: string }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(encodeHeader({ ...e, size: data.length }), data, Buffer.alloc(padding(data.length)));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

function field(b: Buffer, off: number, len: number): string {
  return b.subarray(off, off + len).toString('latin1');
}

describe('encodeHeader', () => {
  it('writes a USTAR header the way Go archive/tar does', () => {
    const b = encodeHeader({ name: '/layers/x', type: 'dir', mode: 0o755, uid: 1234, gid: 1000 });
    assert.equal(b.length, 512);
    assert.equal(field(b, 0, 10), '/layers/x\0');
    assert.equal(field(b, 100, 8), '0000755\0');
    assert.equal(field(b, 108, 8), '0002322\0');
    assert.equal(field(b, 116, 8), '0001750\0');
    assert.equal(field(b, 124, 12), '00000000000\0');
    assert.equal(field(b, 136, 12), `${NORMALIZED_MTIME.toString(8).padStart(11, '0')}\0`);
    assert.equal(field(b, 156, 1), '5');
    assert.equal(field(b, 257, 8), 'ustar\x0000');
    assert.equal(field(b, 265, 64), '\0'.repeat(64), 'uname and gname are empty');
    assert.equal(field(b, 329, 16), '0000000\x000000000\0');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (b[i] ?? 0);
    assert.equal(field(b, 148, 8), `${sum.toString(8).padStart(6, '0')}\0 `);
  });

  it('splits a long ASCII name into the USTAR prefix', () => {
    const name = `/layers/${'d'.repeat(80)}/${'f'.repeat(60)}`;
    const b = encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3 });
    assert.equal(b.length, 512);
    assert.equal(field(b, 0, 61), `${'f'.repeat(60)}\0`);
    assert.equal(field(b, 345, 89), `/layers/${'d'.repeat(80)}\0`);
  });

  it('uses a PAX header for names USTAR cannot hold, non-ASCII names, long link names and big ids', () => {
    const long = `/layers/${'x'.repeat(200)}`;
    const b = encodeHeader({ name: long, type: 'file', mode: 0o644, uid: 0, gid: 0 });
    assert.equal(b.length, 3 * 512);
    assert.equal(field(b, 0, 23), '/layers/PaxHeaders.0/xx');
    assert.equal(field(b, 156, 1), 'x');
    const rec = `path=${long}\n`;
    assert.equal(field(b, 512, rec.length + 4), `${rec.length + 4} ${rec}`);
    assert.equal(field(b, 1024, 100), long.slice(0, 100), 'main header keeps the truncated name');

    const u = encodeHeader({ name: 'é.txt', type: 'file', mode: 0o644, uid: 0, gid: 0 });
    assert.equal(u.length, 3 * 512);
    assert.equal(field(u, 0, 20), 'PaxHeaders.0/.txt\0\0\0');
    assert.equal(field(u, 1024, 5), '.txt\0', 'non-ASCII is dropped from the main header');

    const l = encodeHeader({
      name: 'l',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      linkname: 'y'.repeat(101),
    });
    assert.match(field(l, 512, 200), /^115 linkpath=y{101}\n/);

    const id = encodeHeader({ name: 'f', type: 'file', mode: 0o644, uid: 3_000_000, gid: 5, size: 0 });
    assert.match(field(id, 512, 20), /^15 uid=3000000\n/);
    assert.equal(field(id, 1024 + 108, 8), '0000000\0', 'an id that does not fit is written as 0');
  });

  it('refuses headers Go refuses', () => {
    assert.throws(
      () => encodeHeader({ name: 'a/', type: 'file', mode: 0o644, uid: 0, gid: 0 }),
      /trailing slash/,
    );
    assert.throws(() => encodeHeader({ name: 'a\0b', type: 'file', mode: 0o644, uid: 0, gid: 0 }), /NUL/);
    assert.throws(() => encodeHeader({ name: '', type: 'dir', mode: 0o755, uid: 0, gid: 0 }), /empty name/);
  });

  it('round-trips through tar-stream and GNU tar', async () => {
    const long = `layers/${'n'.repeat(120)}/${'m'.repeat(120)}.txt`;
    const bytes = archive(
      { name: '/layers', type: 'dir', mode: 0o755, uid: 0, gid: 0 },
      { name: '/layers/a.txt', type: 'file', mode: 0o640, uid: 1000, gid: 1001, data: 'hello\n' },
      { name: '/layers/l', type: 'symlink', mode: 0o777, uid: 1000, gid: 1001, linkname: '../etc/x' },
      { name: '/layers/h', type: 'link', mode: 0o640, uid: 1000, gid: 1001, linkname: '/layers/a.txt' },
      { name: long, type: 'file', mode: 0o600, uid: 2, gid: 3, data: 'x' },
      { name: '/layers/ünï', type: 'file', mode: 0o4755, uid: 0, gid: 0, data: '' },
    );
    const parsed = await parseTar(bytes);
    assert.deepEqual(
      parsed.map((p) => [
        p.header.name,
        p.header.type,
        p.header.mode,
        p.header.uid,
        p.header.gid,
        p.header.linkname,
      ]),
      [
        ['/layers', 'directory', 0o755, 0, 0, null],
        ['/layers/a.txt', 'file', 0o640, 1000, 1001, null],
        ['/layers/l', 'symlink', 0o777, 1000, 1001, '../etc/x'],
        ['/layers/h', 'link', 0o640, 1000, 1001, '/layers/a.txt'],
        [long, 'file', 0o600, 2, 3, null],
        ['/layers/ünï', 'file', 0o4755, 0, 0, null],
      ],
    );
    for (const p of parsed) {
      assert.equal(p.header.mtime.toISOString(), '1980-01-01T00:00:01.000Z');
      assert.equal(p.header.uname, '');
    }
    assert.equal(parsed[1]?.data.toString(), 'hello\n');

    const dir = mkdtempSync(join(tmpdir(), 'tar-header-'));
    try {
      writeFileSync(join(dir, 'a.tar'), bytes);
      const r = spawnSync('tar', ['--numeric-owner', '-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', /^drwxr-xr-x 0\/0 +0 1980-01-01 00:00 \/layers$/);
      assert.match(lines[1] ?? '', /^-rw-r----- 1000\/1001 +6 1980-01-01 00:00 \/layers\/a\.txt$/);
      assert.match(lines[2] ?? '', /^lrwxrwxrwx 1000\/1001 +0 1980-01-01 00:00 \/layers\/l -> \.\.\/etc\/x$/);
      assert.match(
        lines[3] ?? '',
        /^hrw-r----- 1000\/1001 +0 1980-01-01 00:00 \/layers\/h link to layers\/a\.txt$/,
      );
      assert.ok(lines[4]?.endsWith(long));
      assert.match(lines[5] ?? '', /^-rwsr-xr-x 0\/0 +0 1980-01-01 00:00 \/layers\/ünï$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
