import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { LifecycleError } from '../platform/index.ts';

/** Default uncompressed bytes per independently deflated block. */
export const DEFAULT_BLOCK_SIZE = 1 << 20;
const WINDOW = 32 << 10;

/**
 * zlib's hash-table size for every gzip the lifecycle writes (docs/decisions.md D-435): 9, the largest,
 * instead of zlib's default 8. At level 1 the larger table finds matches in fewer chain steps.
 */
export const DEFLATE_MEM_LEVEL = 9;

export interface ParallelGzipOptions {
  /** gzip level 0–9. */
  readonly level: number;
  /** Uncompressed bytes per block (≥ 64 KiB); the output depends on it (and on the level) only. */
  readonly blockSize?: number;
  /** Blocks compressed at once on the libuv thread pool; default: available parallelism, at most 3. */
  readonly threads?: number;
}

/** Fixed 10-byte gzip member header: no name, mtime 0, XFL as zlib sets it for the level, OS = Unix. */
function header(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/** Bytes per sample, samples per block, and the order-0 entropy (bits/byte) above which bytes are stored. */
const SAMPLE = 4 << 10;
const SAMPLES = 8;
const STORE_ENTROPY = 7.8;

/** `c · log2(c)` for every count a sample can hold (0 for 0): the entropy without a logarithm per byte value. */
const C_LOG_C = Float64Array.from({ length: SAMPLE + 1 }, (_, c) => (c > 0 ? c * Math.log2(c) : 0));

/**
 * Order-0 entropy (bits per byte) of `b[start, start + SAMPLE)`: −Σ (c/N)·log2(c/N) over the byte counts
 * c, written as log2(N) − Σ c·log2(c) / N so that it is table lookups.
 */
function entropyAt(b: Buffer, start: number, counts: Uint32Array): number {
  counts.fill(0);
  for (let i = start; i < start + SAMPLE; i++) {
    const v = b[i] as number;
    counts[v] = (counts[v] as number) + 1;
  }
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += C_LOG_C[counts[v] as number] as number;
  return Math.log2(SAMPLE) - sum / SAMPLE;
}

/**
 * Whether a block looks incompressible (D-388): every one of SAMPLES evenly spaced SAMPLE-byte windows
 * has an order-0 entropy over STORE_ENTROPY bits per byte (random or already-compressed data; text and
 * binaries are far lower). Decided from the block's bytes only, so the output stays deterministic.
 */
export function looksIncompressible(block: Buffer): boolean {
  return sampledEntropy(block) === 'all';
}

/** Whether all, some or none of a block's SAMPLES windows are over STORE_ENTROPY. */
function sampledEntropy(block: Buffer): 'all' | 'some' | 'none' {
  if (block.length < SAMPLE * SAMPLES) return 'none';
  const counts = new Uint32Array(256);
  const step = Math.floor((block.length - SAMPLE) / (SAMPLES - 1));
  let high = 0;
  for (let s = 0; s < SAMPLES; s++) if (entropyAt(block, s * step, counts) > STORE_ENTROPY) high++;
  return high === SAMPLES ? 'all' : high === 0 ? 'none' : 'some';
}

/** Bytes per segment when a block mixes incompressible and compressible bytes (D-436). */
export const SEGMENT = 64 << 10;
/** Distance between the samples a segment is judged by (a tar header or a small file between them is missed). */
const SEGMENT_STRIDE = 16 << 10;

/** A run of a block, `[start, end)`, to store (`true`) or to deflate (`false`). */
export type Run = readonly [start: number, end: number, store: boolean];

/**
 * Whether `b[start, end)` is incompressible: samples at its start, at its end and every SEGMENT_STRIDE
 * bytes between are all over STORE_ENTROPY (the ends first, as they tell most segments apart).
 */
function segmentIncompressible(b: Buffer, start: number, end: number, counts: Uint32Array): boolean {
  if (end - start < 2 * SAMPLE) return false;
  if (entropyAt(b, start, counts) <= STORE_ENTROPY || entropyAt(b, end - SAMPLE, counts) <= STORE_ENTROPY)
    return false;
  for (let at = start + SEGMENT_STRIDE; at + SAMPLE < end - SAMPLE; at += SEGMENT_STRIDE)
    if (entropyAt(b, at, counts) <= STORE_ENTROPY) return false;
  return true;
}

/**
 * How a block is cut into stored and deflated runs (D-388, D-436). A block whose samples are all
 * incompressible is one stored run, one whose samples are all compressible one deflated run. A block
 * with both (an archive or image file among text, or a file boundary) is judged by SEGMENT-byte
 * segments (`segmentIncompressible`), and neighbouring segments of one kind are joined. Pure: the
 * block's bytes decide, nothing else.
 */
export function storeRuns(block: Buffer): Run[] {
  const whole = sampledEntropy(block);
  if (whole !== 'some') return block.length === 0 ? [] : [[0, block.length, whole === 'all']];
  const counts = new Uint32Array(256);
  const runs: Array<[number, number, boolean]> = [];
  for (let start = 0; start < block.length; start += SEGMENT) {
    const end = Math.min(block.length, start + SEGMENT);
    const store = segmentIncompressible(block, start, end, counts);
    const last = runs.at(-1);
    if (last !== undefined && last[2] === store) last[1] = end;
    else runs.push([start, end, store]);
  }
  return runs;
}

/**
 * The block as non-final deflate stored blocks (RFC 1951 §3.2.4), at most 65,535 bytes each. The stream
 * is byte-aligned here: every block before it ended with a sync flush, and a stored block keeps alignment.
 */
export function storedBlocks(block: Buffer): Buffer {
  const max = 0xffff;
  const n = Math.max(1, Math.ceil(block.length / max));
  const out = Buffer.allocUnsafe(block.length + 5 * n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const part = block.subarray(i * max, Math.min(block.length, (i + 1) * max));
    out[o] = 0; // BFINAL 0, BTYPE 00; the other 5 bits pad to the byte boundary
    out.writeUInt16LE(part.length, o + 1);
    out.writeUInt16LE(~part.length & 0xffff, o + 3);
    part.copy(out, o + 5);
    o += 5 + part.length;
  }
  return out;
}

function deflateBlock(block: Buffer, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(block, opts, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/**
 * pigz-style gzip: the input is cut into fixed-size blocks, each raw-deflated independently (primed with
 * the previous block's last 32 KiB as dictionary, ended with a sync flush) on the libuv thread pool, and
 * the results are joined in order into one valid gzip member with an empty final block and the CRC-32/size
 * trailer. Deterministic for a given level and block size, whatever the thread count or timing.
 */
export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly threads: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private previousTail: Buffer | undefined;
  private readonly inflight: Array<Promise<Buffer[]>> = [];
  private crc = 0;
  private total = 0;

  constructor(opts: ParallelGzipOptions) {
    super({ writableHighWaterMark: 4 << 20 });
    this.level = opts.level;
    this.blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    // Default leaves one of libuv's 4 pool threads free for the file reads feeding the compressor.
    this.threads = Math.max(1, opts.threads ?? Math.min(availableParallelism(), 3));
    if (!Number.isInteger(this.blockSize) || this.blockSize < 64 << 10) {
      throw new LifecycleError(
        'ERR_LAYER_OPTIONS',
        'failed',
        `parallel gzip block size must be ≥ 65536, got ${this.blockSize}`,
      );
    }
    this.push(header(this.level));
  }

  private submit(block: Buffer): void {
    this.crc = crc32(block, this.crc);
    this.total += block.length;
    const runs: readonly Run[] = this.level > 0 ? storeRuns(block) : [[0, block.length, false]];
    const parts = runs.map(([start, end, store]) =>
      store ? Promise.resolve(storedBlocks(block.subarray(start, end))) : this.deflate(block, start, end),
    );
    const p = Promise.all(parts);
    p.catch(() => {}); // awaited in order by drainTo
    this.inflight.push(p);
    this.previousTail = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW)));
  }

  /**
   * `block[start, end)` raw-deflated on the thread pool, primed with the WINDOW bytes before it (from
   * the previous block where the run starts near the block's start), ended with a sync flush.
   */
  private deflate(block: Buffer, start: number, end: number): Promise<Buffer> {
    const head = block.subarray(Math.max(0, start - WINDOW), start);
    const tail = this.previousTail;
    const need = WINDOW - head.length;
    let dictionary = head;
    if (tail !== undefined && need > 0)
      dictionary =
        head.length === 0 ? tail : Buffer.concat([tail.subarray(Math.max(0, tail.length - need)), head]);
    const length = end - start;
    const opts: ZlibOptions = {
      level: this.level,
      memLevel: DEFLATE_MEM_LEVEL,
      finishFlush: constants.Z_SYNC_FLUSH,
      // One output buffer for the whole run: with zlib's default 16 KiB, each block took dozens of
      // thread-pool round trips through the main thread (docs/performance.md). Same bytes either way.
      chunkSize: Math.max(64 << 10, length + (length >> 3) + 1024),
      ...(dictionary.length > 0 ? { dictionary } : {}),
    };
    return deflateBlock(block.subarray(start, end), opts);
  }

  /** Push finished blocks in order until at most `max` are still compressing. */
  private async drainTo(max: number): Promise<void> {
    while (this.inflight.length > max) {
      const out = await (this.inflight[0] as Promise<Buffer[]>);
      this.inflight.shift();
      for (const part of out) this.push(part);
    }
  }

  /** Remove and return the first `size` pending bytes (copying only what the block needs). */
  private takeBlock(size: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < size) {
      const head = this.pending[0] as Buffer;
      const need = size - got;
      if (head.length <= need) {
        parts.push(head);
        this.pending.shift();
        got += head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        got += need;
      }
    }
    this.pendingBytes -= size;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const run = async () => {
      while (this.pendingBytes >= this.blockSize) {
        this.submit(this.takeBlock(this.blockSize));
        await this.drainTo(this.threads);
      }
    };
    run().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    const run = async () => {
      if (this.pendingBytes > 0) this.submit(this.takeBlock(this.pendingBytes));
      await this.drainTo(0);
      const trailer = Buffer.alloc(10);
      trailer[0] = 0x03; // final, fixed-Huffman block holding only end-of-block
      trailer.writeUInt32LE(this.crc >>> 0, 2);
      trailer.writeUInt32LE(this.total % 2 ** 32, 6);
      this.push(trailer);
    };
    run().then(() => cb(), cb);
  }
}
