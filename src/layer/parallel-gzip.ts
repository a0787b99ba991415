import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';
import { LifecycleError } from '../platform/index.ts';

/** Default uncompressed bytes per independently deflated block. */
export const DEFAULT_BLOCK_SIZE = 1 << 20;
const WINDOW = 32 << 10;

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
  private readonly inflight: Array<Promise<Buffer>> = [];
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
    const opts: ZlibOptions = {
      level: this.level,
      finishFlush: constants.Z_SYNC_FLUSH,
      // One output buffer for the whole block: with zlib's default 16 KiB, each block took dozens of
      // thread-pool round trips through the main thread (docs/performance.md). Same bytes either way.
      chunkSize: Math.max(64 << 10, block.length + (block.length >> 3) + 1024),
      ...(this.previousTail ? { dictionary: this.previousTail } : {}),
    };
    const p = deflateBlock(block, opts);
    p.catch(() => {}); // awaited in order by drainTo
    this.inflight.push(p);
    this.previousTail = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW)));
  }

  /** Push finished blocks in order until at most `max` are still compressing. */
  private async drainTo(max: number): Promise<void> {
    while (this.inflight.length > max) {
      const out = await (this.inflight[0] as Promise<Buffer>);
      this.inflight.shift();
      this.push(out);
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
