/**
 * Pure path rules of the safe extractor. Archive paths are interpreted relative to the archive root
 * (a leading `/` is the root, as in layers the reference lifecycle writes: `/layers/<bp>/<layer>/…`).
 */

/** Components of an archive path without empty and `.` parts; undefined when it has a `..` part. */
export function splitArchivePath(name: string): string[] | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts;
}

/** Where an entry goes, relative to the extraction target. */
export type Placement =
  | { readonly kind: 'write'; readonly rel: readonly string[] }
  | { readonly kind: 'skip' }
  | { readonly kind: 'refuse'; readonly why: string };

/**
 * Place an archive entry under `prefix` (components of the archive directory that maps onto the target):
 * entries below it are written, directories above it (the layer's parent directories) are skipped, and
 * anything else is refused, as is any name with a `..` component.
 */
export function placeEntry(name: string, isDir: boolean, prefix: readonly string[]): Placement {
  const parts = splitArchivePath(name);
  if (parts === undefined) return { kind: 'refuse', why: "its path contains '..'" };
  let i = 0;
  while (i < prefix.length && i < parts.length && parts[i] === prefix[i]) i++;
  if (i === prefix.length) return { kind: 'write', rel: parts.slice(i) };
  if (i === parts.length && isDir) return { kind: 'skip' };
  return { kind: 'refuse', why: `it is outside '/${prefix.join('/')}'` };
}

/**
 * True when a symlink at archive path `entry` with target `linkname` climbs above the archive root
 * (a relative target with more `..` than the link has parent directories). Absolute targets name a path
 * inside the image and are kept verbatim: the extractor never follows links, so they cannot redirect writes.
 */
export function symlinkClimbsOut(entry: readonly string[], linkname: string): boolean {
  if (linkname.startsWith('/')) return false;
  let depth = entry.length - 1;
  for (const part of linkname.split('/')) {
    if (part === '..') {
      depth--;
      if (depth < 0) return true;
    } else if (part !== '' && part !== '.') depth++;
  }
  return false;
}
