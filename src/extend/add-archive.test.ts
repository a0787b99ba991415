import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type UnreadableCompression, unreadableCompression } from './add-archive.ts';

const hex = (...parts: string[]) => Buffer.from(parts.join(''), 'hex');
const text = (s: string) => Buffer.from(s, 'latin1');

// Streams made by bzip2, xz, zstd and pzstd (1.x, default options) of "hi\n" and of nothing.
const BZ_HI = '425a68393141592653591d5e59d5000000c1000010006020002198198461772453850901d5e59d50';
const BZ_EMPTY = '425a683917724538509000000000';
const XZ_HI =
  'fd377a585a000004e6d6b4460200210116000000742fe5a301000268690a0000fb7be8e82a58434f00011b030b2fb9101fb6f37d010000000004595a';
const XZ_EMPTY = 'fd377a585a000004e6d6b446000000001cdf44211fb6f37d010000000004595a';
const ZSTD_HI = '28b52ffd045819000068690a343d5092';
const ZSTD_EMPTY = '28b52ffd2000010000';
const SKIPPABLE = '502a4d180400000010000000';

// Dockerfile reference "ADD": a local archive is unpacked when Docker can decompress it and read a tar
// header from it; a file that only starts like a stream, or a stream holding nothing, is copied as
// it is. Only streams holding data are reported (we cannot read them, D-365; D-412).
describe('ADD: which compressed streams hold data', () => {
  it('bzip2: BZh, a level 1-9, a block magic; an empty stream or bad header is no archive', () => {
    const cases: [string, Buffer, UnreadableCompression | undefined][] = [
      ['bzip2 of hi', hex(BZ_HI), 'bzip2'],
      ['text starting BZh', text('BZh hello, not an archive\n'), undefined],
      ['level 0', hex('425a6830', BZ_HI.slice(8)), undefined],
      ['level digit then text', text('BZh9 is how it starts\n'), undefined],
      ['empty stream', hex(BZ_EMPTY), undefined],
      ['empty stream, non-zero CRC', hex(BZ_EMPTY.slice(0, 20), '00000001'), undefined],
      ['empty stream then a stream with data', hex(BZ_EMPTY, BZ_HI), 'bzip2'],
      ['empty stream then text', hex(BZ_EMPTY, '68656c6c6f0a'), undefined],
      ['truncated header', hex(BZ_HI.slice(0, 20)), undefined],
    ];
    for (const [what, head, want] of cases) assert.equal(unreadableCompression(head, true), want, what);
  });

  it('xz: the exact 6-byte magic and stream flags with their CRC-32; no block is empty', () => {
    const cases: [string, Buffer, UnreadableCompression | undefined][] = [
      ['xz of hi', hex(XZ_HI), 'xz'],
      ['empty stream', hex(XZ_EMPTY), undefined],
      ['empty stream, padding, a stream with data', hex(XZ_EMPTY, '00000000', XZ_HI), 'xz'],
      ['magic then garbage', hex('fd377a585a000102', '00'.repeat(40)), undefined],
      ['flags CRC wrong', hex(XZ_HI.slice(0, 16), 'e6d6b447', XZ_HI.slice(24)), undefined],
      ['five of the six magic bytes', hex('fd377a585a01', XZ_HI.slice(12)), undefined],
    ];
    for (const [what, head, want] of cases) assert.equal(unreadableCompression(head, true), want, what);
  });

  it('zstd: the 4-byte frame magic, skippable frames passed over, a declared size of 0 is empty', () => {
    const cases: [string, Buffer, UnreadableCompression | undefined][] = [
      ['zstd of hi', hex(ZSTD_HI), 'zstd'],
      ['pzstd of hi (a skippable frame first)', hex(SKIPPABLE, ZSTD_HI), 'zstd'],
      ['only a skippable frame', hex(SKIPPABLE), undefined],
      ['empty frame', hex(ZSTD_EMPTY), undefined],
      ['empty frame then a frame with data', hex(ZSTD_EMPTY, ZSTD_HI), 'zstd'],
      ['reserved header bit set', hex('28b52ffd0c', ZSTD_HI.slice(10)), undefined],
      ['magic then text', hex('28b52ffd', '2000'), undefined],
      ['three of the four magic bytes', hex('28b52f00', ZSTD_HI.slice(8)), undefined],
    ];
    for (const [what, head, want] of cases) assert.equal(unreadableCompression(head, true), want, what);
  });

  it('a head that is not the whole file and ends after or inside empty streams may hold data', () => {
    assert.equal(unreadableCompression(hex(BZ_EMPTY), false), 'bzip2');
    assert.equal(unreadableCompression(hex(BZ_EMPTY, '425a68'), false), 'bzip2');
    assert.equal(unreadableCompression(hex(BZ_EMPTY, '425a68'), true), undefined);
    assert.equal(unreadableCompression(hex(XZ_EMPTY, 'fd377a'), false), 'xz');
    assert.equal(unreadableCompression(hex(ZSTD_EMPTY, '28b5'), false), 'zstd');
    assert.equal(unreadableCompression(hex(ZSTD_EMPTY, '28b5'), true), undefined);
    assert.equal(unreadableCompression(text('BZh hello'), false), undefined);
  });
});
