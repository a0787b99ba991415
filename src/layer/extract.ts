import { constants, type Stats } from 'node:fs';
import {
  chmod,
  chown,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  rm,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { type Header, extract as tarExtract } from 'tar-stream';
import { isLifecycleError, LifecycleError, messageOf } from '../platform/index.ts';
import { tarStreamOf } from './extract-input.ts';
import { placeEntry, splitArchivePath, symlinkClimbsOut } from './extract-path.ts';

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
  readonly filter?: (name: string, type: Header['type']) => boolean;
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

function refuse(name: string, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_LAYER_UNSAFE_ENTRY',
    'failed',
    `refusing to extract entry '${name}': ${why}`,
  );
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

interface DirAttrs {
  readonly path: string;
  readonly header: Header;
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
  const doChown = opts.chown ?? process.getuid?.() === 0;
  const input = await tarStreamOf(stream, opts);
  const safeDirs = new Set<string>([root]);
  const files = new Set<string>();
  const dirs: DirAttrs[] = [];
  let count = 0;
  /** Directories this extraction created: a later entry for one of them sets its mode, owner and mtime. */
  const created = new Set<string>();
  if ((await lstatOrUndefined(root)) === undefined) created.add(root);
  await mkdir(root, { recursive: true });

  const ensureParents = async (name: string, rel: readonly string[]): Promise<void> => {
    let p = root;
    for (const part of rel.slice(0, -1)) {
      p = join(p, part);
      if (safeDirs.has(p)) continue;
      const st = await lstatOrUndefined(p);
      if (st === undefined) {
        await mkdir(p, { mode: 0o755 });
        created.add(p);
      } else if (!st.isDirectory()) {
        throw refuse(name, `'${p}' is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`);
      }
      safeDirs.add(p);
    }
  };
  /** Remove what is at `p` so a non-directory can take its place; refuse to replace a directory. */
  const clear = async (name: string, p: string): Promise<void> => {
    const st = await lstatOrUndefined(p);
    if (st === undefined) return;
    if (st.isDirectory()) throw refuse(name, `'${p}' is a directory`);
    await unlink(p);
    files.delete(p);
  };
  const attrs = async (p: string, h: Header, isLink: boolean): Promise<void> => {
    if (doChown) await (isLink ? lchown : chown)(p, h.uid, h.gid);
    if (!isLink) await chmod(p, h.mode & 0o7777);
    await (isLink ? lutimes : utimes)(p, h.mtime, h.mtime);
  };

  const handle = async (h: Header, body: AsyncIterable<Buffer>): Promise<void> => {
    if (opts.filter && !opts.filter(h.name, h.type)) return;
    const place = placeEntry(h.name, h.type === 'directory', prefix);
    if (place.kind === 'refuse') throw refuse(h.name, place.why);
    if (place.kind === 'skip') return;
    const p = join(root, ...place.rel);
    if (place.rel.length > 0) await ensureParents(h.name, place.rel);
    switch (h.type) {
      case 'directory': {
        const st = await lstatOrUndefined(p);
        if (st?.isDirectory()) {
          safeDirs.add(p);
          if (created.delete(p)) dirs.push({ path: p, header: h });
          break;
        }
        if (st) await rm(p, { force: true });
        await mkdir(p, { mode: 0o700 });
        safeDirs.add(p);
        dirs.push({ path: p, header: h });
        break;
      }
      case 'file':
      case 'contiguous-file': {
        if (place.rel.length === 0) throw refuse(h.name, 'it would replace the target directory');
        await clear(h.name, p);
        const fh = await open(
          p,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
        try {
          for await (const chunk of body) {
            for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off)).bytesWritten;
          }
          // Through the handle, so nothing swapped in at the path afterwards is touched.
          if (doChown) await fh.chown(h.uid, h.gid);
          await fh.chmod(h.mode & 0o7777);
          await fh.utimes(h.mtime, h.mtime);
        } finally {
          await fh.close();
        }
        files.add(p);
        break;
      }
      case 'symlink': {
        const target = h.linkname ?? '';
        if (symlinkClimbsOut(splitArchivePath(h.name) ?? [], target)) {
          throw refuse(h.name, `symlink target '${target}' climbs out of the archive root`);
        }
        if (place.rel.length === 0) throw refuse(h.name, 'it would replace the target directory');
        await clear(h.name, p);
        await symlink(target, p);
        await attrs(p, h, true);
        safeDirs.delete(p);
        break;
      }
      case 'link': {
        const tp = placeEntry(h.linkname ?? '', false, prefix);
        const target = tp.kind === 'write' ? join(root, ...tp.rel) : undefined;
        if (target === undefined || !files.has(target)) {
          throw refuse(
            h.name,
            `hard link target '${h.linkname}' is not a file extracted earlier from this layer`,
          );
        }
        if (target === p) break;
        await clear(h.name, p);
        await link(target, p);
        files.add(p);
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

  const ex = tarExtract();
  // A failure of the source (a registry download that gave up) is reported as itself, not as the entry
  // it interrupted: it is not damage of the layer.
  let upstream: Error | undefined;
  input.tar.on('error', (e: Error) => {
    upstream ??= (stream.errored as Error | null) ?? e;
    ex.destroy(e);
  });
  input.tar.pipe(ex);
  try {
    for await (const entry of ex) {
      opts.signal?.throwIfAborted();
      try {
        await handle(entry.header, entry as unknown as AsyncIterable<Buffer>);
      } catch (e) {
        upstream ??= (stream.errored as Error | null) ?? undefined;
        if (upstream !== undefined) throw upstream;
        if (isLifecycleError(e)) throw e;
        throw new LifecycleError(
          'ERR_LAYER_EXTRACT',
          'failed',
          `failed to extract '${entry.header.name}': ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
      entry.resume();
    }
  } catch (e) {
    input.tar.destroy();
    ex.destroy();
    upstream ??= (stream.errored as Error | null) ?? undefined;
    const err = upstream !== undefined && !isLifecycleError(e) ? upstream : e;
    if (isLifecycleError(err) || (err instanceof Error && err.name === 'AbortError')) throw err;
    throw new LifecycleError('ERR_LAYER_EXTRACT', 'failed', `failed to read layer: ${messageOf(err)}`, {
      cause: err,
    });
  }
  for (const d of dirs.reverse()) await attrs(d.path, d.header, false);
  const sums = await input.result();
  return { ...sums, entries: count };
}
