import { lstat, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * What a phase accepts as a buildpack, layer or SBOM directory under `<layers>` (D-204): a real
 * directory reached from `<layers>` without any symlink on the way, so walking `<layers>` for export
 * or the cache never leaves `<layers>`. `'symlink'` means the path or one of its parents below
 * `root` is a symlink (or resolves elsewhere); `'other'` a non-directory; `'missing'` nothing there.
 */
export async function containedDir(
  root: string,
  path: string,
): Promise<'dir' | 'symlink' | 'other' | 'missing'> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch {
    return 'missing';
  }
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isDirectory()) return 'other';
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
    return real === join(realRoot, relative(root, path)) ? 'dir' : 'symlink';
  } catch {
    return 'missing';
  }
}
