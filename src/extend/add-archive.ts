import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { crc32, createGunzip } from 'node:zlib';

/**
 * Which local files ADD unpacks (Dockerfile reference "ADD": a local tar archive, plain or compressed,
 * is unpacked; any other file is copied). Docker decides by decompressing what the first bytes name
 * and reading a tar header from the result; when either fails the file is copied as it is (D-365,
 * D-412).
 */

/** Bytes of a file's start examined: enough for a tar header and the headers of empty streams. */
const HEAD = 4096;

/** Compressions Docker undoes that Node cannot (D-365). */
export type UnreadableCompression = 'bzip2' | 'xz' | 'zstd';

/** A stream walk's verdict: compressed data, no such stream (or a broken one), or only empty streams. */
type Walk = 'data' | 'none' | 'empty';

/** Where a walk has reached `o`: the end of a whole head is `empty`, beyond a partial head unknown. */
const atEnd = (h: Buffer, o: number, whole: boolean): Walk | undefined =>
  o < h.length ? undefined : o > h.length ? (whole ? 'none' : 'data') : whole ? 'empty' : 'data';

/**
 * A stream header cut short at `o`: a broken file when the head is whole or this is its first stream,
 * else unknown (an empty stream came first; the cut one may hold data), counted as data.
 */
const cut = (o: number, whole: boolean): Walk => (whole || o === 0 ? 'none' : 'data');

const BZ_BLOCK = Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
const BZ_END = Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90]);

/** bzip2 streams: `BZh`, a block size '1'..'9', then a block's magic or the end-of-stream magic. */
function bzip2(h: Buffer, whole: boolean): Walk {
  for (let o = 0; ; ) {
    if (h.length < o + 14) return cut(o, whole);
    const level = h[o + 3] as number;
    if (h.toString('latin1', o, o + 3) !== 'BZh' || level < 0x31 || level > 0x39) return 'none';
    const magic = h.subarray(o + 4, o + 10);
    if (magic.equals(BZ_BLOCK)) return 'data';
    // an empty stream: the end magic and a combined CRC of 0, then the end or another stream
    if (!magic.equals(BZ_END) || h.readUInt32BE(o + 10) !== 0) return 'none';
    o += 14;
    const end = atEnd(h, o, whole);
    if (end) return end;
  }
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** Whether the CRC-32 of `h[from, to)` is the little-endian word at `at` (right after it by default). */
const crcAt = (h: Buffer, from: number, to: number, at = to): boolean =>
  crc32(h.subarray(from, to)) === h.readUInt32LE(at);

/** xz streams: the magic, stream flags with their CRC-32; a stream with no block is empty. */
function xz(h: Buffer, whole: boolean): Walk {
  for (let o = 0; ; ) {
    if (h.length < o + 32) return cut(o, whole);
    if (!h.subarray(o, o + 6).equals(XZ_MAGIC)) return 'none';
    if (h[o + 6] !== 0 || ((h[o + 7] as number) & 0xf0) !== 0 || !crcAt(h, o + 6, o + 8)) return 'none';
    if (h[o + 12] !== 0) return 'data'; // a block header, not the index
    // an empty index (no records), then the footer: its CRC, backward size 1 (8 bytes), flags, "YZ"
    const index = h.readUInt32BE(o + 12) === 0 && crcAt(h, o + 12, o + 16);
    const footer =
      crcAt(h, o + 24, o + 30, o + 20) &&
      h.readUInt32LE(o + 24) === 1 &&
      h.subarray(o + 28, o + 30).equals(h.subarray(o + 6, o + 8)) &&
      h.toString('latin1', o + 30, o + 32) === 'YZ';
    if (!index || !footer) return 'none';
    o += 32;
    while (o + 4 <= h.length && h.readUInt32BE(o) === 0) o += 4;
    const end = atEnd(h, o, whole);
    if (end) return end;
  }
}

/**
 * zstd frames (RFC 8878 section 3.1): skippable frames are passed over; a frame whose header declares
 * a content size of 0 gives nothing (or a decoding error), any other frame holds data.
 */
function zstd(h: Buffer, whole: boolean): Walk {
  for (let o = 0; ; ) {
    if (h.length < o + 8) return cut(o, whole);
    const magic = h.readUInt32LE(o);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) o += 8 + h.readUInt32LE(o + 4);
    else if (magic === 0xfd2fb528) {
      const fhd = h[o + 4] as number;
      if (fhd & 0x08) return 'none'; // the reserved bit
      const single = (fhd & 0x20) !== 0;
      const fcsSize = [single ? 1 : 0, 2, 4, 8][fhd >> 6] as number;
      let p = o + 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number);
      if (fcsSize === 0) return 'data'; // size not declared
      if (h.length < p + fcsSize) return whole ? 'none' : 'data';
      if (fcsSize === 2 || h.subarray(p, p + fcsSize).some((b) => b !== 0)) return 'data';
      p += fcsSize;
      // its blocks, to find where the next frame starts: 3-byte headers, RLE blocks carry one byte
      for (let last = 0; !last; ) {
        if (h.length < p + 3) return whole ? 'none' : 'data';
        const bh = h.readUIntLE(p, 3);
        const type = (bh >> 1) & 3;
        if (type === 3) return 'none';
        last = bh & 1;
        p += 3 + (type === 1 ? 1 : bh >>> 3);
      }
      o = p + (fhd & 0x04 ? 4 : 0);
    } else return 'none';
    const end = atEnd(h, o, whole);
    if (end) return end;
  }
}

/**
 * The compression Node cannot undo whose stream in `head` (a file's first bytes; `whole` when they are
 * all of it) holds data, as far as its headers tell: undefined for a file that is no such stream, or
 * a broken one, or one holding nothing (Docker copies those as they are, D-412).
 */
export function unreadableCompression(head: Buffer, whole: boolean): UnreadableCompression | undefined {
  if (bzip2(head, whole) === 'data') return 'bzip2';
  if (xz(head, whole) === 'data') return 'xz';
  if (zstd(head, whole) === 'data') return 'zstd';
  return undefined;
}

/** True when the 512 bytes are a tar header: its checksum field matches the header's byte sum. */
function isTarHeader(h: Buffer): boolean {
  if (h.length < 512) return false;
  const field = h
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  return sum === Number.parseInt(field, 8);
}

async function gunzipHead(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const src = createReadStream(path).pipe(createGunzip());
  try {
    for await (const c of src) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= 512) break;
    }
  } catch {
    return Buffer.alloc(0);
  } finally {
    src.destroy();
  }
  return Buffer.concat(chunks);
}

/**
 * Whether ADD extracts `path`: a plain tar or a gzip-compressed tar. bzip2, xz and zstd streams
 * holding data, which Docker unpacks (kaniko only bzip2), are refused rather than copied packed (D-365, D-412).
 * @throws Error naming the file and its compression.
 */
export async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(HEAD);
    const { bytesRead } = await fh.read(head, 0, HEAD, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return isTarHeader(await gunzipHead(path));
  const packed = unreadableCompression(head, head.length < HEAD);
  if (packed)
    throw new Error(
      `${basename(path)} is ${packed}-compressed: ADD unpacks only plain and gzip-compressed tar archives here; recompress it with gzip, or use COPY to copy it packed`,
    );
  return isTarHeader(head);
}
