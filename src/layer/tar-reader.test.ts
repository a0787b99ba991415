import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-header.ts';
import { type TarEntry, TarReader } from './tar-reader.ts';

interface Seen {
  readonly h: TarEntry;
  data: string;
}

/** Everything the reader tells, with the archive pushed in pieces of `piece` bytes. */
function read(tar: Buffer, piece = tar.length): Seen[] {
  const out: Seen[] = [];
  let open: Seen | undefined;
  const r = new TarReader({
    entry(h) {
      assert.equal(open, undefined, 'the previous entry ended first');
      open = { h, data: '' };
      out.push(open);
    },
    data(c) {
      assert.ok(open, 'data belongs to an entry');
      open.data += c.toString('utf8');
    },
    end() {
      open = undefined;
    },
  });
  for (let o = 0; o < tar.length; o += piece) r.push(tar.subarray(o, o + piece));
  r.finish();
  assert.equal(open, undefined);
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'tar-reader-'));
after(() => rmSync(root, { recursive: true, force: true }));

const longName = `${'d'.repeat(120)}/${'n'.repeat(110)}.txt`;
/** A tree with a long name, a long symlink target, a hard link, an empty file and a big uid. */
function gnuTar(format: 'gnu' | 'pax' | 'ustar'): Buffer {
  const src = join(root, `src-${format}`);
  mkdirSync(join(src, 'd'.repeat(120)), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'hello\n');
  writeFileSync(join(src, 'empty'), '');
  writeFileSync(join(src, longName), 'x'.repeat(1000));
  symlinkSync(`../${'t'.repeat(150)}`, join(src, 'link'));
  execFileSync('ln', [join(src, 'a.txt'), join(src, 'hard.txt')]);
  const long = format !== 'ustar';
  const names = ['a.txt', 'empty', 'hard.txt', ...(long ? ['link', longName] : [])];
  return execFileSync('tar', [
    '-c',
    `--format=${format}`,
    '-C',
    src,
    format === 'ustar' ? '--owner=u:1000' : '--owner=u:2500000',
    '--group=g:7',
    '--mtime=@315532801',
    ...names,
  ]);
}

describe('TarReader', () => {
  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads GNU tar's ${format} archives, whatever the chunk boundaries`, () => {
      const tar = gnuTar(format);
      const whole = read(tar);
      for (const piece of [1, 7, 511, 512, 513, 4096]) assert.deepEqual(read(tar, piece), whole);
      const by = new Map(whole.map((s) => [s.h.name, s]));
      assert.equal(by.get('a.txt')?.data, 'hello\n');
      assert.equal(by.get('a.txt')?.h.type, 'file');
      assert.equal(by.get('a.txt')?.h.mtime.getTime(), 315532801000);
      assert.equal(by.get('empty')?.data, '');
      assert.equal(by.get('hard.txt')?.h.type, 'link');
      assert.equal(by.get('hard.txt')?.h.linkname, 'a.txt');
      assert.equal(by.get('a.txt')?.h.gid, 7);
      if (format === 'ustar') {
        assert.equal(by.get('a.txt')?.h.uid, 1000);
        return;
      }
      // A uid past the octal field: base-256 (GNU) or a PAX record.
      assert.equal(by.get('a.txt')?.h.uid, 2500000);
      assert.equal(by.get(longName)?.data, 'x'.repeat(1000));
      assert.equal(by.get('link')?.h.type, 'symlink');
      assert.equal(by.get('link')?.h.linkname, `../${'t'.repeat(150)}`);
    });
  }

  it('applies a PAX global header to every later entry, and a local one to the next entry only', () => {
    const pax = (flag: string, recs: string) => {
      const body = Buffer.from(recs);
      const h = Buffer.from(
        encodeHeader({ name: 'pax', type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length }),
      );
      h[156] = flag.charCodeAt(0);
      let sum = 0;
      h.fill(0x20, 148, 156);
      for (const b of h) sum += b;
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return [h, body, Buffer.alloc(padding(body.length))];
    };
    const f = (name: string) => encodeHeader({ name, type: 'file', mode: 0o600, uid: 1, gid: 1, size: 0 });
    const rec = (k: string, v: string) => {
      const s = ` ${k}=${v}\n`;
      let n = s.length + 1;
      if (`${n}${s}`.length !== n) n++;
      return `${n}${s}`;
    };
    const tar = Buffer.concat([
      ...pax('g', rec('uid', '42')),
      ...pax('x', rec('path', 'renamed') + rec('mtime', '1.5')),
      f('one'),
      f('two'),
      END_OF_ARCHIVE,
    ]);
    const seen = read(tar);
    assert.deepEqual(
      seen.map((s) => [s.h.name, s.h.uid, s.h.mtime.getTime()]),
      [
        ['renamed', 42, 1500],
        ['two', 42, 315532801000],
      ],
    );
  });

  it('refuses a bad checksum, an unknown format and a truncated archive', () => {
    const good = Buffer.concat([
      encodeHeader({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3 }),
      Buffer.from('abc'),
      Buffer.alloc(509),
    ]);
    const bad = Buffer.from(good);
    bad[0] = 0x67;
    assert.throws(() => read(bad), /invalid tar header checksum/);
    const v7 = Buffer.from(good);
    v7.fill(0, 257, 265);
    let sum = 0;
    v7.fill(0x20, 148, 156);
    for (let i = 0; i < 512; i++) sum += v7[i]!;
    v7.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.throws(() => read(v7), /unknown format/);
    assert.throws(() => read(good.subarray(0, 514)), /ends in the middle of an entry/);
    assert.throws(() => read(good.subarray(0, 300)), /ends in the middle of an entry/);
    assert.deepEqual(read(Buffer.alloc(0)), [], 'an empty stream has no entries');
    assert.equal(read(good).length, 1, 'an archive may end without its zero blocks, at an entry boundary');
  });
});
