import { type FileHandle, open } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * A file sink that says how many bytes are on disk after each write (`onFlushed(total)`), so a reader can
 * follow the file as it grows: the exporter's streaming upload sends a blob's first bytes while the rest
 * is still being compressed (D-382). Writes are batched (`writev`) like `fs.createWriteStream`'s.
 */
export class FileSink extends Writable {
  private readonly path: string;
  private readonly onFlushed: (bytes: number) => void;
  private fh: FileHandle | undefined;
  private flushed = 0;

  constructor(path: string, onFlushed: (bytes: number) => void) {
    super({ highWaterMark: 1 << 20 });
    this.path = path;
    this.onFlushed = onFlushed;
  }

  override _construct(cb: (e?: Error | null) => void): void {
    open(this.path, 'w').then(
      (fh) => {
        this.fh = fh;
        cb();
      },
      (e: Error) => cb(e),
    );
  }

  private async writeAll(bufs: Buffer[]): Promise<void> {
    const fh = this.fh as FileHandle;
    const total = bufs.reduce((a, b) => a + b.length, 0);
    let done = (await fh.writev(bufs)).bytesWritten;
    // A short write (rare on regular files): write what is left, in order.
    if (done < total) {
      const rest = Buffer.concat(bufs).subarray(done);
      for (let o = 0; o < rest.length; ) o += (await fh.write(rest, o)).bytesWritten;
      done = total;
    }
    this.flushed += done;
    this.onFlushed(this.flushed);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => cb(), cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    (fh ? fh.close() : Promise.resolve()).then(() => cb(), cb);
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    (fh ? fh.close() : Promise.resolve()).then(
      () => cb(e),
      () => cb(e),
    );
  }
}
