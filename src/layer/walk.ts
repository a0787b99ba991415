import type { Stats } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LifecycleError, messageOf } from '../platform/index.ts';
import type { EntryType, TarHeader } from './tar-header.ts';

/** One entry of a layer: a header plus, for regular files, where its bytes come from. */
export interface LayerEntry extends TarHeader {
  /** Content of a regular file: bytes (or a UTF-8 string), or a file on disk to copy (size must not change). */
  readonly content?: Uint8Array | string | { readonly path: string };
}

/** A directory on disk mapped to a path inside the image. */
export interface DirSource {
  /** The directory on disk. */
  readonly dir: string;
  /**
   * The path of `dir` inside the archive, written verbatim as the first entry's name and the prefix of
   * every other name. The reference lifecycle uses the absolute path (`/layers/<bp>/<layer>`); `''` writes
   * names relative to `dir` with no entry for `dir` itself.
   */
  readonly prefix: string;
  /** Owner given to `dir` and everything below it (the reference uses CNB_USER_ID/CNB_GROUP_ID). */
  readonly uid: number;
  readonly gid: number;
  /** Entries written before `dir`, in order: usually its parent directories (see {@link parentsFromDisk}). */
  readonly parents?: readonly LayerEntry[];
  /**
   * Write the second and later paths of a multiply-linked regular file as hard-link entries to the first.
   * Off by default: the reference lifecycle (Go `tar.FileInfoHeader`) stores every path as a regular file,
   * and layer reuse across implementations needs identical bytes.
   */
  readonly hardLinks?: boolean;
}

const LSTAT_BATCH = 64;

function walkError(path: string, e: unknown): LifecycleError {
  return new LifecycleError(
    'ERR_LAYER_WALK',
    'failed',
    `failed to read '${path}' for a layer: ${messageOf(e)}`,
    {
      cause: e,
    },
  );
}

/** Linux `dev_t` → (major, minor), as glibc's gnu_dev_major/minor. */
function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  const r = BigInt(rdev);
  return {
    devmajor: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)),
    devminor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)),
  };
}

function entryType(st: Stats): EntryType | undefined {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return undefined; // sockets are skipped, as by the reference
}

/**
 * The entry Go's `tar.FileInfoHeader` would make from a stat result (permission and setuid/setgid/sticky
 * bits, size for regular files, link target for symlinks, device numbers), owned by `uid:gid`.
 */
export async function entryFromStat(
  path: string,
  name: string,
  st: Stats,
  uid: number,
  gid: number,
): Promise<LayerEntry | undefined> {
  const type = entryType(st);
  if (type === undefined) return undefined;
  const base = { name, type, mode: st.mode & 0o7777, uid, gid };
  switch (type) {
    case 'file':
      return { ...base, size: st.size, content: { path } };
    case 'symlink':
      return { ...base, linkname: await readlink(path) };
    case 'char':
    case 'block':
      return { ...base, ...devNumbers(st.rdev) };
    default:
      return base;
  }
}

/**
 * The parent directories of `dir` as the reference lifecycle writes them before a directory layer: every
 * ancestor except `/`, outermost first, with the filesystem's own mode and owner (following symlinks).
 * Named by the ancestors of `prefix` (default: `dir` itself).
 */
export async function parentsFromDisk(dir: string, prefix: string = resolve(dir)): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  let disk = resolve(dir);
  let name = prefix.replace(/\/+$/, '');
  for (;;) {
    const pname = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    if (pname === '' || pname === '.') break;
    disk = dirname(disk);
    let st: Stats;
    try {
      st = await stat(disk);
    } catch (e) {
      throw walkError(disk, e);
    }
    const entry = await entryFromStat(disk, pname, st, st.uid, st.gid);
    if (entry) out.unshift(entry);
    name = pname;
  }
  return out;
}

function childName(prefix: string, name: string): string {
  if (prefix === '') return name;
  return prefix.endsWith('/') ? prefix + name : `${prefix}/${name}`;
}

/**
 * Walk `src.dir` like Go's `filepath.Walk` (lstat, pre-order, names sorted byte-wise per directory,
 * symlinks not followed, sockets skipped) and yield the layer entries: `src.parents` first, then `dir`
 * and its contents owned by `src.uid:src.gid`.
 */
export async function* walkDir(src: DirSource, signal?: AbortSignal): AsyncGenerator<LayerEntry> {
  if (src.parents) yield* src.parents;
  const root = resolve(src.dir);
  const prefix = src.prefix === '.' ? '' : src.prefix.replace(/(.)\/+$/, '$1');
  const links = src.hardLinks ? new Map<string, string>() : undefined;
  let rootStat: Stats;
  try {
    rootStat = await lstat(root);
  } catch (e) {
    throw walkError(root, e);
  }

  async function* visit(path: string, name: string, st: Stats): AsyncGenerator<LayerEntry> {
    signal?.throwIfAborted();
    let entry: LayerEntry | undefined;
    try {
      entry = await entryFromStat(path, name, st, src.uid, src.gid);
    } catch (e) {
      throw walkError(path, e);
    }
    if (entry === undefined) return;
    if (links && entry.type === 'file' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        yield { name, type: 'link', mode: entry.mode, uid: src.uid, gid: src.gid, linkname: first };
        return;
      }
      links.set(key, name);
    }
    if (name !== '') yield entry;
    if (entry.type !== 'dir') return;
    let names: Buffer[];
    try {
      names = await readdir(path, { encoding: 'buffer' });
    } catch (e) {
      throw walkError(path, e);
    }
    names.sort(Buffer.compare);
    for (let i = 0; i < names.length; i += LSTAT_BATCH) {
      const batch = names.slice(i, i + LSTAT_BATCH).map((raw) => {
        const n = raw.toString('utf8');
        if (!Buffer.from(n, 'utf8').equals(raw)) {
          throw walkError(`${path}/${n}`, new Error('file name is not valid UTF-8'));
        }
        const p = `${path}/${n}`;
        const st = lstat(p);
        st.catch(() => {}); // awaited below, in order
        return { n, p, st };
      });
      for (const { n, p, st: pending } of batch) {
        let cst: Stats;
        try {
          cst = await pending;
        } catch (e) {
          throw walkError(p, e);
        }
        yield* visit(p, childName(name, n), cst);
      }
    }
  }

  yield* visit(root, prefix, rootStat);
}
