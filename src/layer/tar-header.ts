import { posix } from 'node:path';
import { LifecycleError } from '../platform/index.ts';

/**
 * Tar header encoding, byte-compatible with Go's `archive/tar` Writer as the reference lifecycle uses it
 * (format left unspecified, so USTAR when it can represent the header, otherwise PAX; mtime normalized,
 * access/change times dropped, empty uname/gname). Layer digests only match the reference lifecycle's
 * (and so layers are only reused across implementations) when every byte matches.
 */

/** The normalized modification time of every entry: 1980-01-01T00:00:01Z (platform.md "Build Reproducibility"). */
export const NORMALIZED_MTIME = 315532801;

/** Entry kinds a layer tar may hold. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';

/** A tar entry header before encoding. mtime, uname and gname are not inputs: they are always normalized. */
export interface TarHeader {
  /** Path inside the archive, written verbatim (the reference writes absolute paths such as `/layers/bp/x`). */
  readonly name: string;
  readonly type: EntryType;
  /** Permission bits plus setuid/setgid/sticky (`0o7777` mask). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Content size; only regular files have content. */
  readonly size?: number;
  /** Symlink target (verbatim) or hard-link target (archive path of the first occurrence). */
  readonly linkname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
}

const TYPEFLAG: Readonly<Record<EntryType, number>> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  dir: 0x35,
  fifo: 0x36,
};

const BLOCK = 512;
const NAME_SIZE = 100;
const PREFIX_SIZE = 155;

function isASCII(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) return false;
  }
  return true;
}

function toASCII(s: string): string {
  if (isASCII(s)) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80 && c !== 0) out += ch;
  }
  return out;
}

function fitsOctal(x: number, size: number): boolean {
  return x >= 0 && x < 8 ** (size - 1);
}

/** Go's formatString: copy (truncating), NUL-terminate when shorter, never leave a truncated trailing `/`. */
function putString(b: Buffer, off: number, size: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  bytes.copy(b, off, 0, Math.min(bytes.length, size));
  if (bytes.length < size) b[off + bytes.length] = 0;
  if (bytes.length > size && b[off + size - 1] === 0x2f) {
    const n = bytes
      .subarray(0, size - 1)
      .toString('latin1')
      .replace(/\/+$/, '').length;
    b[off + n] = 0;
  }
}

/** Go's formatOctal: zero-padded to `size-1` digits plus NUL; 0 when it does not fit. */
function putOctal(b: Buffer, off: number, size: number, x: number): void {
  const v = fitsOctal(x, size) ? x : 0;
  putString(b, off, size, v.toString(8).padStart(size - 1, '0'));
}

/** Go's splitUSTARPath: split a long ASCII name into prefix (≤155) and name (≤100) at a `/`. */
function splitUSTARPath(name: string): [string, string] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isASCII(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === '/') length--;
  const i = name.lastIndexOf('/', length - 1);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || i > PREFIX_SIZE) return undefined;
  return [name.slice(0, i), name.slice(i + 1)];
}

/** Go's formatPAXRecord: `"<len> <key>=<value>\n"` where len counts itself. */
function paxRecord(k: string, v: string): string {
  const base = Buffer.byteLength(k) + Buffer.byteLength(v) + 3;
  let size = base + String(base).length;
  if (base + String(size).length !== size) size = base + String(size).length;
  return `${size} ${k}=${v}\n`;
}

/** Set magic/version and the checksum (6 octal digits, NUL, space). */
function finish(b: Buffer): Buffer {
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] ?? 0;
  putOctal(b, 148, 7, sum);
  b[155] = 0x20;
  return b;
}

/** The V7+USTAR fields every main header shares (Go's templateV7Plus). */
function template(h: TarHeader, name: string, linkname: string, type: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b[156] = type;
  putString(b, 0, NAME_SIZE, name);
  putString(b, 157, NAME_SIZE, linkname);
  putOctal(b, 100, 8, h.mode);
  putOctal(b, 108, 8, h.uid);
  putOctal(b, 116, 8, h.gid);
  putOctal(b, 124, 12, h.size ?? 0);
  putOctal(b, 136, 12, NORMALIZED_MTIME);
  putOctal(b, 329, 8, h.devmajor ?? 0);
  putOctal(b, 337, 8, h.devminor ?? 0);
  return b;
}

function invalid(h: TarHeader, why: string): LifecycleError {
  return new LifecycleError('ERR_LAYER_TAR_HEADER', 'failed', `cannot write tar entry '${h.name}': ${why}`);
}

/**
 * Encode one entry header as Go's `tar.Writer.WriteHeader` would for a header with no explicit format:
 * USTAR (long ASCII names split into prefix/name) when possible, otherwise a PAX extended header
 * (`<dir>/PaxHeaders.0/<base>`, sorted records) followed by the main header. Returns 512·n bytes.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const linkname = h.linkname ?? '';
  const size = h.size ?? 0;
  if (h.name.includes('\0') || linkname.includes('\0')) throw invalid(h, 'NUL byte in name');
  if (h.name === '') throw invalid(h, 'empty name');
  if (['file', 'char', 'block', 'fifo'].includes(h.type) && h.name.endsWith('/')) {
    throw invalid(h, 'filename may not have trailing slash');
  }
  if (!fitsOctal(h.devmajor ?? 0, 8) || !fitsOctal(h.devminor ?? 0, 8) || !fitsOctal(h.mode, 8)) {
    throw invalid(h, 'mode or device number out of range');
  }
  if (!Number.isSafeInteger(size) || size < 0 || h.uid < 0 || h.gid < 0) {
    throw invalid(h, 'negative or non-integer size/uid/gid');
  }
  const pax = new Map<string, string>();
  let ustar = true;
  const nameBytes = Buffer.byteLength(h.name);
  if (!isASCII(h.name) || nameBytes > NAME_SIZE) {
    if (splitUSTARPath(h.name) === undefined) ustar = false;
    pax.set('path', h.name);
  }
  if (!isASCII(linkname) || Buffer.byteLength(linkname) > NAME_SIZE) {
    ustar = false;
    pax.set('linkpath', linkname);
  }
  for (const [key, v, width] of [
    ['uid', h.uid, 8],
    ['gid', h.gid, 8],
    ['size', size, 12],
  ] as const) {
    if (!fitsOctal(v, width)) {
      ustar = false;
      pax.set(key, String(v));
    }
  }
  const type = TYPEFLAG[h.type];
  const full: TarHeader = { ...h, size };
  if (ustar) {
    const split = splitUSTARPath(h.name);
    const b = template(full, split ? split[1] : h.name, linkname, type);
    if (split) putString(b, 345, PREFIX_SIZE, split[0]);
    return finish(b);
  }
  const data = Buffer.from(
    [...pax.keys()]
      .sort()
      .map((k) => paxRecord(k, pax.get(k) ?? ''))
      .join(''),
    'utf8',
  );
  const slash = h.name.lastIndexOf('/');
  const parts = [h.name.slice(0, slash + 1), 'PaxHeaders.0', h.name.slice(slash + 1)].filter((p) => p !== '');
  const joined = posix.normalize(parts.join('/'));
  let xname = toASCII(joined.length > 1 ? joined.replace(/\/+$/, '') : joined);
  xname = Buffer.from(xname, 'latin1').subarray(0, NAME_SIZE).toString('latin1').replace(/\/+$/, '');
  const xh = Buffer.alloc(BLOCK);
  xh[156] = 0x78; // 'x'
  putString(xh, 0, NAME_SIZE, xname);
  putOctal(xh, 100, 8, 0);
  putOctal(xh, 108, 8, 0);
  putOctal(xh, 116, 8, 0);
  putOctal(xh, 124, 12, data.length);
  putOctal(xh, 136, 12, 0);
  finish(xh);
  const main = finish(template(full, toASCII(h.name), toASCII(linkname), type));
  return Buffer.concat([xh, data, Buffer.alloc(padding(data.length)), main]);
}

/** Zero bytes needed after `size` content bytes to reach a 512-byte boundary. */
export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** The end-of-archive marker Go writes on Close: two zero blocks, no further record padding. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);
