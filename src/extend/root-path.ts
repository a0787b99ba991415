import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

const MAX_LINKS = 40;

/**
 * The host path of `imagePath` inside the root filesystem `root`, following symlinks of its parent
 * directories as the image would see them (an absolute link target is taken from `root`, and `..`
 * never climbs above it). The last component is not followed, so it can be created or replaced.
 */
export async function resolveInRoot(root: string, imagePath: string, followLast = false): Promise<string> {
  const todo = posix.normalize(`/${imagePath}`).split('/').filter(Boolean);
  let cur: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      cur.pop();
      continue;
    }
    const next = [...cur, part];
    const host = join(root, ...next);
    const last = todo.length === 0;
    const st = await lstat(host).catch(() => undefined);
    if (st?.isSymbolicLink() && (!last || followLast)) {
      if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links in ${imagePath}`);
      const target = await readlink(host);
      todo.unshift(...target.split('/').filter(Boolean));
      if (target.startsWith('/')) cur = [];
      continue;
    }
    cur = next;
  }
  return join(root, ...cur);
}

/** An image path joined to a working directory (absolute paths stay as they are). */
export function imagePathOf(workdir: string, p: string): string {
  const abs = p.startsWith('/') ? p : posix.join(workdir || '/', p);
  const norm = posix.normalize(abs);
  return p.endsWith('/') && norm !== '/' ? `${norm.replace(/\/+$/, '')}/` : norm;
}
