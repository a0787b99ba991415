import { type FileHandle, open, readFile } from 'node:fs/promises';
import { LifecycleError, messageOf } from '../platform/index.ts';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-header.ts';
import type { LayerEntry } from './walk.ts';

/** Files up to this size are read whole, several at a time ahead of the writer. */
const SMALL_FILE = 1 << 20;
/** Read-ahead bounds for small files. */
const AHEAD_ENTRIES = 256;
const AHEAD_BYTES = 8 << 20;
/** Chunk size for large files and for coalesced output. */
const CHUNK = 1 << 20;

function contentError(e: LayerEntry, why: string, cause?: unknown): LifecycleError {
  const src = typeof e.content === 'object' && 'path' in e.content ? ` (from '${e.content.path}')` : '';
  return new LifecycleError(
    'ERR_LAYER_CONTENT',
    'failed',
    `cannot write layer entry '${e.name}'${src}: ${why}`,
    {
      cause,
    },
  );
}

function changed(e: LayerEntry, actual: string): LifecycleError {
  return contentError(
    e,
    `file changed while the layer was written (expected ${e.size ?? 0} bytes, ${actual})`,
  );
}

/** Header size of an entry: explicit, or the length of in-memory content. */
function withSize(e: LayerEntry): LayerEntry {
  if (e.type !== 'file') return e.size === undefined ? e : { ...e, size: 0 };
  const c = e.content;
  if (c === undefined || (typeof c === 'object' && 'path' in c)) {
    if (e.size === undefined && c !== undefined)
      throw contentError(e, 'size is required for content from a path');
    return { ...e, size: e.size ?? 0 };
  }
  const n = typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength;
  if (e.size !== undefined && e.size !== n)
    throw contentError(e, `size ${e.size} does not match content (${n})`);
  return { ...e, size: n };
}

interface Pending {
  readonly entry: LayerEntry;
  readonly data?: Promise<Buffer>;
}

async function* readLarge(e: LayerEntry, path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw contentError(e, messageOf(err), err);
  }
  try {
    const size = e.size ?? 0;
    let pos = 0;
    const readAt = (at: number) => {
      const len = Math.min(CHUNK, size - at);
      return fh.read(Buffer.allocUnsafe(len), 0, len, at);
    };
    let next = readAt(0);
    while (pos < size) {
      signal?.throwIfAborted();
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) throw changed(e, `only ${pos} bytes read`);
      pos += bytesRead;
      if (pos < size) next = readAt(pos);
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
    const extra = await fh.read(Buffer.alloc(1), 0, 1, size);
    if (extra.bytesRead !== 0) throw changed(e, 'it grew');
  } finally {
    await fh.close();
  }
}

/**
 * Serialize layer entries as a tar stream (Go `archive/tar` encoding, see {@link encodeHeader}), in the
 * given order, ending with the two-block end-of-archive marker. Small files are read ahead concurrently;
 * output is coalesced into chunks of about 1 MiB.
 */
export async function* tarChunks(
  entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  const it =
    Symbol.asyncIterator in entries
      ? entries[Symbol.asyncIterator]()
      : (entries as Iterable<LayerEntry>)[Symbol.iterator]();
  const queue: Pending[] = [];
  let aheadBytes = 0;
  let exhausted = false;

  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < AHEAD_ENTRIES && aheadBytes < AHEAD_BYTES) {
      const r = await it.next();
      if (r.done) {
        exhausted = true;
        return;
      }
      const entry = withSize(r.value);
      const c = entry.content;
      const size = entry.size ?? 0;
      if (entry.type === 'file' && typeof c === 'object' && 'path' in c && size > 0 && size <= SMALL_FILE) {
        const data = readFile(c.path);
        data.catch(() => {}); // awaited in order below
        aheadBytes += size;
        queue.push({ entry, data });
      } else {
        queue.push({ entry });
      }
    }
  };

  let parts: Buffer[] = [];
  let partBytes = 0;
  const take = (): Buffer => {
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    return out;
  };
  const add = (b: Buffer): void => {
    parts.push(b);
    partBytes += b.length;
  };

  for (;;) {
    signal?.throwIfAborted();
    await fill();
    const next = queue.shift();
    if (next === undefined) break;
    const e = next.entry;
    add(encodeHeader(e));
    if (e.type !== 'file' || !e.size) {
      if (partBytes >= CHUNK) yield take();
      continue;
    }
    const size = e.size;
    if (next.data) {
      let data: Buffer;
      try {
        data = await next.data;
      } catch (err) {
        throw contentError(e, messageOf(err), err);
      }
      aheadBytes -= size;
      if (data.length !== size) throw changed(e, `found ${data.length}`);
      add(data);
    } else if (typeof e.content === 'object' && 'path' in e.content) {
      for await (const chunk of readLarge(e, e.content.path, signal)) {
        if (partBytes > 0) yield take();
        yield chunk;
      }
    } else {
      const c = e.content;
      if (c === undefined) throw contentError(e, `size is ${size} but no content was given`);
      add(typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    }
    const pad = padding(size);
    if (pad > 0) add(Buffer.alloc(pad));
    if (partBytes >= CHUNK) yield take();
  }
  add(END_OF_ARCHIVE);
  yield take();
}
