import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { verifyDigest } from '../../layer/index.ts';
import { LifecycleError, messageOf } from '../../platform/index.ts';
import { sha256Digest } from '../json.ts';
import type { Descriptor } from '../types.ts';

/**
 * Content-addressed blobs of an OCI image layout (`blobs/<algorithm>/<hex>`): verified reads, writes
 * that land atomically (temp file + rename) and are skipped when the blob is already there, and
 * hard links to share a blob with another layout on the same filesystem.
 */

const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** Path of the blob `digest` in the layout `dir`. */
export function blobPath(dir: string, digest: string): string {
  const m = DIGEST_RE.exec(digest);
  if (!m) {
    throw new LifecycleError(
      'ERR_LAYOUT_INVALID',
      'failed',
      `OCI layout ${dir}: invalid digest "${digest}" in a descriptor; the layout is damaged — write it again`,
    );
  }
  return join(dir, 'blobs', m[1]!, m[2]!);
}

/** Reads a small blob (manifest, config, index) whole, verified against its descriptor. */
export async function readBlob(
  dir: string,
  desc: Pick<Descriptor, 'digest' | 'size'>,
  what: string,
): Promise<Buffer> {
  const path = blobPath(dir, desc.digest);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw missingBlob(dir, desc.digest, what, e);
  }
  if ((desc.size >= 0 && bytes.byteLength !== desc.size) || sha256Digest(bytes) !== desc.digest) {
    throw new LifecycleError(
      'ERR_DIGEST_MISMATCH',
      'failed',
      `OCI layout ${dir}: ${what} ${desc.digest} is corrupt (${bytes.byteLength} bytes, expected ${desc.size}, ` +
        `digest ${sha256Digest(bytes)}); write the image to the layout again`,
    );
  }
  return bytes;
}

/** Opens a blob as a stream verified for size and digest while it is read. */
export async function openBlob(
  dir: string,
  desc: Pick<Descriptor, 'digest' | 'size'>,
  what: string,
  signal?: AbortSignal,
): Promise<Readable> {
  const path = blobPath(dir, desc.digest);
  try {
    await stat(path);
  } catch (e) {
    throw missingBlob(dir, desc.digest, what, e);
  }
  const stream = createReadStream(path, signal ? { signal } : {});
  return verifyDigest(
    stream,
    desc.digest,
    desc.size >= 0 ? desc.size : undefined,
    `OCI layout ${dir}: ${what} ${desc.digest}`,
  );
}

function missingBlob(dir: string, digest: string, what: string, cause: unknown): LifecycleError {
  const enoent = (cause as NodeJS.ErrnoException)?.code === 'ENOENT';
  return new LifecycleError(
    'ERR_LAYOUT_BLOB_MISSING',
    'failed',
    `OCI layout ${dir}: ${what} ${digest} is ${enoent ? 'missing' : `unreadable (${messageOf(cause)})`}` +
      (enoent ? ' (a sparse layout without layer blobs?); write the complete image to the layout' : ''),
    { cause },
  );
}

/** True when the blob exists with the expected size (size < 0: any size). */
export async function hasBlob(dir: string, digest: string, size: number): Promise<boolean> {
  try {
    const st = await stat(blobPath(dir, digest));
    return st.isFile() && (size < 0 || st.size === size);
  } catch {
    return false;
  }
}

/** Where a blob's bytes come from when it must be written. */
export interface BlobSource {
  readonly digest: string;
  readonly size: number;
  /** A file holding exactly these bytes (another layout's blob): hard-linked when possible. */
  readonly file?: string;
  /** The bytes; verified against digest and size while written. */
  open(signal?: AbortSignal): Promise<Readable>;
}

/**
 * Writes a blob unless it is already present: hard-links `source.file` when on the same filesystem,
 * otherwise streams `source.open()` through verification into a temp file renamed into place.
 * Returns how it was satisfied.
 */
export async function writeBlob(
  dir: string,
  source: BlobSource,
  signal?: AbortSignal,
): Promise<'present' | 'linked' | 'written'> {
  if (await hasBlob(dir, source.digest, source.size)) return 'present';
  const path = blobPath(dir, source.digest);
  await mkdir(dirname(path), { recursive: true });
  if (source.file !== undefined) {
    try {
      const st = await stat(source.file);
      if (source.size < 0 || st.size === source.size) {
        await linkAtomically(source.file, path);
        return 'linked';
      }
    } catch {
      // fall back to copying the bytes (EXDEV, EPERM, missing source…)
    }
  }
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const input = verifyDigest(
      await source.open(signal),
      source.digest,
      source.size >= 0 ? source.size : undefined,
      `blob ${source.digest} written to OCI layout ${dir}`,
    );
    await pipeline(input, createWriteStream(tmp), ...(signal ? [{ signal }] : []));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return 'written';
}

async function linkAtomically(from: string, to: string): Promise<void> {
  const tmp = `${to}.tmp-${randomBytes(6).toString('hex')}`;
  await link(from, tmp);
  try {
    await rename(tmp, to);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
