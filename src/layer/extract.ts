import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { isLifecycleError, LifecycleError, messageOf } from '../platform/index.ts';
import { tarStreamOf } from './extract-input.ts';
import { placeEntry, splitArchivePath, symlinkClimbsOut } from './extract-path.ts';
import { type EntryAttrs, refuse, TreeWriter } from './extract-tree.ts';
import { type TarEntry, TarFormatError, TarReader, type TarType } from './tar-reader.ts';

export interface ExtractOptions {
  /** Digest of the bytes read from the stream (compressed blob); checked when the stream ends. */
  readonly expectDigest?: string;
  /** Size of the bytes read from the stream. */
  readonly expectSize?: number;
  /** sha256 of the uncompressed tar; checked when the stream ends. */
  readonly expectDiffID?: string;
  /** `auto` (default) detects gzip by its magic bytes. */
  readonly compression?: 'auto' | 'gzip' | 'none';
  /**
   * Archive directory that maps onto the target (e.g. `/layers/bp/layer` to restore a layer into its
   * own directory). Its ancestors are skipped; entries outside it are refused. Default `/`.
   */
  readonly stripPrefix?: string;
  /** Return false to skip an entry (called with the archive name, before any check). */
  readonly filter?: (name: string, type: TarType) => boolean;
  /** Restore owners from the archive (default: when running as root). */
  readonly chown?: boolean;
  readonly signal?: AbortSignal;
}

export interface ExtractResult {
  /** sha256 of the uncompressed tar. */
  readonly diffID: string;
  /** sha256 of the bytes read, and their count. */
  readonly digest: string;
  readonly size: number;
  /** Number of entries written (skipped ones excluded). */
  readonly entries: number;
}

/**
 * Extract a layer (gzip or plain tar) into `targetDir`, verifying digests while streaming. Refuses, with a
 * LifecycleError naming the entry: `..` components, paths outside `stripPrefix`, symlinks whose relative
 * target climbs above the archive root, hard links to anything but a file extracted earlier from the same
 * archive, device files and FIFOs, and writes through a symlink or non-directory already in the target.
 * Restores modes (umask-independent), mtimes, and owners when `chown`. Directories that existed before the
 * extraction are left as they are (as the reference does). On a digest mismatch the error comes after the
 * entries were written: callers discard the target.
 */
export async function extractLayer(
  stream: Readable,
  targetDir: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const root = resolve(targetDir);
  const prefix = splitArchivePath(opts.stripPrefix ?? '/') ?? [];
  const input = await tarStreamOf(stream, opts);
  const tree = new TreeWriter(root, opts.chown ?? process.getuid?.() === 0);
  let count = 0;
  /** The regular file being written: its descriptor, path and attributes. */
  let open: { fd: number; p: string; attrs: EntryAttrs } | undefined;
  let current = '';

  const entry = (h: TarEntry): void => {
    current = h.name;
    if (opts.filter && !opts.filter(h.name, h.type)) return;
    const place = placeEntry(h.name, h.type === 'directory', prefix);
    if (place.kind === 'refuse') throw refuse(h.name, place.why);
    if (place.kind === 'skip') return;
    const p = tree.path(place.rel);
    if (place.rel.length > 1) tree.parents(h.name, place.rel);
    const attrs = { mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
    switch (h.type) {
      case 'directory':
        tree.dir(p, attrs);
        break;
      case 'file':
      case 'contiguous-file':
        if (place.rel.length === 0) throw refuse(h.name, 'it would replace the target directory');
        open = { fd: tree.openFile(h.name, p, attrs), p, attrs };
        break;
      case 'symlink': {
        const target = h.linkname;
        if (symlinkClimbsOut(splitArchivePath(h.name) ?? [], target)) {
          throw refuse(h.name, `symlink target '${target}' climbs out of the archive root`);
        }
        if (place.rel.length === 0) throw refuse(h.name, 'it would replace the target directory');
        tree.symlink(h.name, p, target, attrs);
        break;
      }
      case 'link': {
        const tp = placeEntry(h.linkname, false, prefix);
        const target = tp.kind === 'write' ? tree.path(tp.rel) : undefined;
        tree.hardLink(h.name, p, target, h.linkname);
        break;
      }
      case 'character-device':
      case 'block-device':
        throw refuse(h.name, 'device files are not allowed');
      default:
        throw refuse(h.name, `unsupported entry type '${h.type}'`);
    }
    count++;
  };
  const reader = new TarReader({
    entry,
    data(chunk) {
      if (open !== undefined) tree.write(open.fd, chunk);
    },
    end() {
      const f = open;
      open = undefined;
      if (f !== undefined) tree.closeFile(f.fd, f.p, f.attrs);
    },
  });

  // A failure of the source (a registry download that gave up) is reported as itself, not as the entry
  // it interrupted: it is not damage of the layer.
  const upstream = () => (stream.errored as Error | null) ?? (input.tar.errored as Error | null) ?? undefined;
  /** Taken inside the loop: leaving it early destroys the source, with an abort error of its own. */
  let up: { error: Error | undefined } | undefined;
  try {
    for await (const chunk of input.tar) {
      opts.signal?.throwIfAborted();
      try {
        reader.push(chunk as Buffer);
      } catch (e) {
        up = { error: upstream() };
        if (e instanceof TarFormatError || isLifecycleError(e)) throw e;
        throw new LifecycleError(
          'ERR_LAYER_EXTRACT',
          'failed',
          `failed to extract '${current}': ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
    }
    reader.finish();
  } catch (e) {
    const source = (up ?? { error: upstream() }).error;
    if (open !== undefined) closeSync(open.fd);
    open = undefined;
    input.tar.destroy();
    const err = source !== undefined && !isLifecycleError(e) ? source : e;
    if (isLifecycleError(err) || (err instanceof Error && err.name === 'AbortError')) throw err;
    throw new LifecycleError('ERR_LAYER_EXTRACT', 'failed', `failed to read layer: ${messageOf(err)}`, {
      cause: err,
    });
  }
  tree.finish();
  const sums = await input.result();
  return { ...sums, entries: count };
}
