import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileLayer, type LayerEntry, layerFromDir } from '../../../src/layer/index.ts';

/**
 * Layers for the platform test images, written by the project's own layer writer (`src/layer`) to blob
 * files in one temp directory per process (removed by {@link removeBlobs}).
 */

let blobs: Promise<string> | undefined;
let n = 0;

async function blobPath(): Promise<string> {
  blobs ??= mkdtemp(join(tmpdir(), 'platform-blobs-'));
  n += 1;
  const name = `${process.pid}-${n}.tar.gz`;
  return join(await blobs, name);
}

/** Removes the blob files of this process's layers (call from a suite's `after`). */
export async function removeBlobs(): Promise<void> {
  if (blobs !== undefined) await rm(await blobs, { recursive: true, force: true });
  blobs = undefined;
}

/** A directory entry (mode 0755, root-owned unless given). */
export function dir(name: string, o: { uid?: number; gid?: number; mode?: number } = {}): LayerEntry {
  return { name, type: 'dir', mode: o.mode ?? 0o755, uid: o.uid ?? 0, gid: o.gid ?? 0 };
}

/** A regular file entry (mode 0644, root-owned unless given). */
export function file(
  name: string,
  content: string | Uint8Array,
  o: { uid?: number; gid?: number; mode?: number } = {},
): LayerEntry {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return {
    name,
    type: 'file',
    mode: o.mode ?? 0o644,
    uid: o.uid ?? 0,
    gid: o.gid ?? 0,
    size: bytes.byteLength,
    content: bytes,
  };
}

/** A symlink entry. */
export function symlink(name: string, target: string): LayerEntry {
  return { name, type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: target };
}

/** Root-owned 0755 entries for every ancestor of `path` except `/`, outermost first. */
export function parentDirs(path: string): LayerEntry[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).map((_, i) => dir(`/${parts.slice(0, i + 1).join('/')}`));
}

/** A layer of exactly these entries, in this order (parents first). */
export async function entriesLayer(entries: readonly LayerEntry[]): Promise<FileLayer> {
  return layerFromDir(entries, await blobPath());
}

/**
 * A layer of a directory on disk placed at `at` inside the image (e.g. `/cnb/buildpacks/x/1.0`), owned
 * by `uid:gid`, with the given parent directories written first.
 */
export async function dirLayer(
  src: string,
  at: string,
  o: { uid?: number; gid?: number; parents?: readonly LayerEntry[] } = {},
): Promise<FileLayer> {
  const parents = o.parents ?? parentDirs(at);
  return layerFromDir({ dir: src, prefix: at, uid: o.uid ?? 0, gid: o.gid ?? 0, parents }, await blobPath());
}
