/**
 * A synchronous push parser of tar archives (POSIX ustar, PAX extended headers, GNU long names), for the
 * extractor: every entry of a chunk is parsed and handed to the visitor in one call, with no promise or
 * stream per entry, so a layer of 100,000 small files costs its system calls and little else (issue 9
 * item 8, D-421). File bytes are handed over as views of the pushed chunks, never copied.
 */

/** Entry types, named as tar-stream names them (the extractor's messages use these names). */
export type TarType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | `typeflag ${string}`;

export interface TarEntry {
  readonly name: string;
  readonly type: TarType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content that follow the header. */
  readonly size: number;
  readonly mtime: Date;
  readonly linkname: string;
}

/** Told, in archive order: an entry's header, its content in pieces, then its end. */
export interface TarVisitor {
  entry(h: TarEntry): void;
  data(chunk: Buffer): void;
  end(): void;
}

/** A malformed archive (the extractor names the layer). */
export class TarFormatError extends Error {}

const BLOCK = 512;
/** Largest PAX or GNU long-name record accepted (tar-stream's limit too). */
const MAX_META = 1 << 20;

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

/** A numeric header field: octal digits (space/NUL padded), or base-256 when the top bit is set. */
function num(b: Buffer, off: number, len: number, what: string): number {
  const first = b[off]!;
  if (first & 0x80) {
    if (first === 0xff) throw new TarFormatError(`negative ${what} in tar header`);
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return v;
  }
  let i = off;
  const end = off + len;
  while (i < end && b[i] === 0x20) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`invalid ${what} in tar header`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** A NUL-terminated string field, as UTF-8. */
function str(b: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return b.toString('utf8', off, end);
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum;
}

/** Entry types by typeflag character. */
const TYPES: Readonly<Record<string, TarType>> = {
  '\0': 'file',
  '0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
};

/** Typeflags of headers that describe the next entry: PAX local and global, GNU long name and link. */
const META: Readonly<Record<string, Meta['kind']>> = { x: 'pax', g: 'global', L: 'longname', K: 'longlink' };

/** `len key=value\n` records of a PAX header. */
function parsePax(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < b.length && b[off] !== 0) {
    const space = b.indexOf(0x20, off);
    const len = space < 0 ? Number.NaN : Number(b.toString('latin1', off, space));
    if (!Number.isInteger(len) || len <= space - off || off + len > b.length)
      throw new TarFormatError('invalid PAX record in tar header');
    const rec = b.toString('utf8', space + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarFormatError('invalid PAX record in tar header');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

type Meta = { kind: 'pax' | 'global' | 'longname' | 'longlink'; size: number; parts: Buffer[]; have: number };

export class TarReader {
  private readonly v: TarVisitor;
  /** Bytes of a header block split across chunks. */
  private carry: Buffer | undefined;
  /** Content bytes of the current entry still to come (given to the visitor when `visible`). */
  private remaining = 0;
  private visible = false;
  /** Padding after the current entry's content. */
  private padAfter = 0;
  /** Padding (or ignored content) to skip before the next header. */
  private skip = 0;
  private meta: Meta | undefined;
  private pax = new Map<string, string>();
  private global = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(visitor: TarVisitor) {
    this.v = visitor;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let off = 0;
    while (off < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - off);
        off += n;
        this.skip -= n;
      } else if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length - off);
        if (this.visible) this.v.data(buf.subarray(off, off + n));
        off += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.skip = this.padAfter;
          this.close();
        }
      } else if (this.meta !== undefined) {
        const m = this.meta;
        const n = Math.min(m.size - m.have, buf.length - off);
        m.parts.push(buf.subarray(off, off + n));
        m.have += n;
        off += n;
        if (m.have === m.size) this.applyMeta(m);
      } else if (buf.length - off < BLOCK) {
        this.carry = Buffer.from(buf.subarray(off));
        break;
      } else {
        this.header(buf.subarray(off, off + BLOCK));
        off += BLOCK;
      }
    }
  }

  /** The archive ended: refuses one cut inside an entry or a header. */
  finish(): void {
    if (this.remaining > 0 || this.meta !== undefined || this.carry !== undefined || this.skip > 0)
      throw new TarFormatError('the tar archive ends in the middle of an entry (truncated layer)');
  }

  private close(): void {
    const visible = this.visible;
    this.visible = false;
    if (visible) this.v.end();
  }

  private applyMeta(m: Meta): void {
    this.meta = undefined;
    this.skip = pad(m.size);
    const data = Buffer.concat(m.parts);
    if (m.kind === 'longname' || m.kind === 'longlink') {
      const s = str(data, 0, data.length);
      if (m.kind === 'longname') this.longName = s;
      else this.longLink = s;
    } else if (m.kind === 'global') {
      for (const [k, val] of parsePax(data)) this.global.set(k, val);
    } else {
      this.pax = parsePax(data);
    }
  }

  private header(b: Buffer): void {
    const sum = checksum(b);
    if (sum === 8 * 0x20 && b.every((x, i) => x === 0 || (i >= 148 && i < 156))) return; // a zero block
    if (sum !== num(b, 148, 8, 'checksum'))
      throw new TarFormatError('invalid tar header checksum (the layer is corrupted, or not a tar)');
    const ustar = b.toString('latin1', 257, 263) === 'ustar\0';
    const gnu = b.toString('latin1', 257, 265) === 'ustar  \0';
    if (!ustar && !gnu) throw new TarFormatError('tar header of an unknown format (neither ustar nor GNU)');
    const flag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12, 'size');
    const metaKind = META[flag];
    if (metaKind !== undefined) {
      if (size > MAX_META) throw new TarFormatError(`tar extended header of ${size} bytes is too large`);
      this.meta = { kind: metaKind, size, parts: [], have: 0 };
      if (size === 0) this.applyMeta(this.meta);
      return;
    }
    let name = str(b, 0, 100);
    if (ustar && b[345] !== 0) name = `${str(b, 345, 155)}/${name}`;
    let type = TYPES[flag] ?? (`typeflag ${flag}` as TarType);
    if (flag === '\0' && name.endsWith('/')) type = 'directory';
    const pax = this.global.size === 0 ? this.pax : new Map([...this.global, ...this.pax]);
    this.pax = new Map();
    const paxNum = (key: string, dflt: number) => {
      const s = pax.get(key);
      if (s === undefined) return dflt;
      const n = Number(s);
      if (!Number.isFinite(n) || n < 0) throw new TarFormatError(`invalid PAX ${key} '${s}' in tar header`);
      return n;
    };
    const entrySize = paxNum('size', size);
    const h: TarEntry = {
      name: pax.get('path') ?? this.longName ?? name,
      type,
      mode: num(b, 100, 8, 'mode'),
      uid: paxNum('uid', num(b, 108, 8, 'uid')),
      gid: paxNum('gid', num(b, 116, 8, 'gid')),
      size: entrySize,
      mtime: new Date(paxNum('mtime', num(b, 136, 12, 'mtime')) * 1000),
      linkname: pax.get('linkpath') ?? this.longLink ?? str(b, 157, 100),
    };
    this.longName = undefined;
    this.longLink = undefined;
    // Only regular files have content; any bytes recorded for other types are skipped.
    const content = type === 'file' || type === 'contiguous-file';
    this.v.entry(h);
    this.visible = true;
    if (content && entrySize > 0) {
      this.remaining = entrySize;
      this.padAfter = pad(entrySize);
      return;
    }
    this.close();
    this.skip = entrySize + pad(entrySize);
  }
}
