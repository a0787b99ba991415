import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { entryFromStat, type LayerEntry } from '../layer/index.ts';

/**
 * Filesystem snapshots for run-image extension (platform.md "extender": "copy ... any new layers"):
 * a walk of the root filesystem before and after each instruction; what changed becomes a layer
 * (changed and added paths with their parents, deleted ones as `.wh.` whiteouts; OCI image-spec
 * "Representing Changes"). Changes are seen through lstat, with the change time (which no program
 * can set back) alongside mtime, size, mode, owner and inode, so content is never hashed (D-353).
 */

/** What a walk records of one path. */
export interface PathState {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly key: string;
  readonly ino: string;
  readonly nlink: number;
}

/** Image path (`/etc/passwd`) → state. */
export type Tree = ReadonlyMap<string, PathState>;

function typeOf(st: BigIntStats): PathState['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

function ignored(path: string, ignore: readonly string[]): boolean {
  return ignore.some((p) => path === p || path.startsWith(`${p}/`));
}

const BATCH = 64;

/**
 * Walks `root` (lstat, symlinks not followed) into a {@link Tree}, skipping the image paths in
 * `ignore` and everything below them, and sockets.
 */
export async function scanTree(root: string, ignore: readonly string[]): Promise<Tree> {
  const tree = new Map<string, PathState>();
  const visit = async (imagePath: string): Promise<void> => {
    const names = await readdir(join(root, imagePath)).catch(() => [] as string[]);
    const children = names.map((n) => posix.join(imagePath, n)).filter((p) => !ignored(p, ignore));
    for (let i = 0; i < children.length; i += BATCH) {
      const batch = children.slice(i, i + BATCH);
      const stats = await Promise.all(
        batch.map((p) => lstat(join(root, p), { bigint: true }).catch(() => undefined)),
      );
      for (let j = 0; j < batch.length; j++) {
        const st = stats[j];
        const p = batch[j] as string;
        if (st === undefined || st.isSocket()) continue;
        const type = typeOf(st);
        const key = `${type}:${st.mode}:${st.uid}:${st.gid}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.rdev}`;
        tree.set(p, { type, key, ino: `${st.dev}:${st.ino}`, nlink: Number(st.nlink) });
        if (type === 'dir') await visit(p);
      }
    }
  };
  await visit('/');
  return tree;
}

/** Paths to write (changed or added) and paths deleted (only the topmost of a deleted subtree). */
export interface TreeDiff {
  readonly changed: readonly string[];
  readonly deleted: readonly string[];
}

/** Compares two walks of the same root. */
export function diffTrees(before: Tree, after: Tree): TreeDiff {
  const changed: string[] = [];
  for (const [p, st] of after) if (before.get(p)?.key !== st.key) changed.push(p);
  const deleted: string[] = [];
  for (const p of before.keys()) {
    if (after.has(p)) continue;
    const parent = posix.dirname(p);
    // below a deleted (or replaced) directory the parent's whiteout or replacement covers it
    if (parent === '/' || after.get(parent)?.type === 'dir') deleted.push(p);
  }
  return { changed, deleted };
}

/** Sorts image paths so that parents come before children and siblings byte-wise. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = Buffer.from(pa[i] as string);
    const y = Buffer.from(pb[i] as string);
    const c = Buffer.compare(x, y);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = posix.dirname(p); d !== '/'; d = posix.dirname(d)) out.push(d);
  return out;
}

/**
 * The layer entries of a diff, in order (parents first): every changed path with its parent
 * directories as they are now, a whiteout `.wh.<name>` for each deleted path, and later paths of a
 * multiply-linked file as hard links to the first in this layer. Owners and modes are the files'
 * own; names are relative (`etc/passwd`), as `docker build` writes them.
 */
export async function* diffEntries(root: string, after: Tree, diff: TreeDiff): AsyncGenerator<LayerEntry> {
  const names = new Set<string>(diff.changed);
  for (const p of [...diff.changed, ...diff.deleted]) for (const a of ancestors(p)) names.add(a);
  const whiteouts = new Set(
    diff.deleted.map((p) => posix.join(posix.dirname(p), `.wh.${posix.basename(p)}`)),
  );
  const links = new Map<string, string>();
  for (const p of [...names, ...whiteouts].sort(comparePaths)) {
    const name = p.slice(1);
    if (whiteouts.has(p)) {
      yield { name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, content: new Uint8Array() };
      continue;
    }
    const host = join(root, p);
    const st = await lstat(host);
    const state = after.get(p);
    if (state?.type === 'file' && state.nlink > 1) {
      const first = links.get(state.ino);
      if (first !== undefined) {
        yield { name, type: 'link', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, linkname: first };
        continue;
      }
      links.set(state.ino, name);
    }
    const entry = await entryFromStat(host, name, st, st.uid, st.gid);
    if (entry) yield entry;
  }
}

/**
 * The image paths the extender leaves out of snapshots (platform.md "extender"; kaniko's default
 * ignore list): every mount point of the container (from `/proc/self/mountinfo`: `/proc`, `/sys`,
 * `/dev`, volumes, `/etc/hosts`, ...), `/var/run`, and the given directories.
 */
export async function ignoredPaths(
  extra: readonly string[],
  mountinfo = '/proc/self/mountinfo',
): Promise<string[]> {
  const text = await readFile(mountinfo, 'utf8').catch(() => '');
  const out = new Set<string>(['/var/run', ...extra.filter((p) => p !== '' && p !== '/')]);
  for (const line of text.split('\n')) {
    const mount = line.split(' ')[4];
    if (mount === undefined || mount === '/') continue;
    out.add(mount.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
  }
  return [...out].sort();
}
