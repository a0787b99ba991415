import { Readable } from 'node:stream';
import { pack } from 'tar-stream';

/** An uncompressed tar of `files` (name → content) as a Buffer; names are written as given. */
export async function tarOf(files: Readonly<Record<string, string | Uint8Array>>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const name of Object.keys(files).sort()) {
    const content = files[name]!;
    if (name.endsWith('/')) p.entry({ name, type: 'directory', mode: 0o755, mtime: new Date(0) });
    else p.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(content));
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A Readable over bytes. */
export function streamOf(b: Uint8Array): Readable {
  return Readable.from([Buffer.from(b)]);
}

/** Reads a stream to the end. */
export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
