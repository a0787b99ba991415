import { createReadStream } from 'node:fs';
import {
  chmod as chmodPath,
  copyFile,
  lchown,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { extractLayer } from '../layer/index.ts';
import { isArchive } from './add-archive.ts';
import { type IgnoreRules, isExcluded, mayIncludeBelow } from './dockerignore.ts';
import { BadPattern, componentRegExp } from './go-glob.ts';
import { resolveInRoot } from './root-path.ts';

/** What one COPY or ADD does (Dockerfile reference "COPY", "ADD"), with words already expanded. */
export interface CopySpec {
  /** Root filesystem to copy into. */
  readonly root: string;
  /** Build context directory (sources are relative to it and cannot leave it). */
  readonly context: string;
  /** Source patterns (`*`, `?`, `[...]` wildcards per path component). */
  readonly sources: readonly string[];
  /** Absolute destination in the image; a trailing `/` makes it a directory. */
  readonly dest: string;
  /** Owner of the copied files (default 0:0, as Docker). */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** Permission bits for the copied files and directories (`--chmod`). */
  readonly chmod?: number;
  /** ADD: local tar archives (plain or gzip) are extracted into the destination. */
  readonly extractArchives?: boolean;
  /** Heredoc sources: files named `name` (in a directory destination) holding `data`. */
  readonly contents?: readonly { readonly name: string; readonly data: string }[];
  /** The context's `.dockerignore`: excluded paths are not part of the context. */
  readonly ignore?: IgnoreRules;
}

const WILDCARD = /[*?[]/;

/** A source component's RegExp (Go's `filepath.Match`, as kaniko matches sources, D-410). */
function globRegex(seg: string, pattern: string): RegExp {
  try {
    return componentRegExp(seg);
  } catch (e) {
    if (!(e instanceof BadPattern)) throw e;
    throw new Error(
      `syntax error in source pattern '${pattern}': ${e.message} (escape a literal [ or \\ with \\)`,
    );
  }
}

/** Context-relative paths matching `pattern`, sorted; `..` cannot leave the context. */
export async function matchSources(context: string, pattern: string): Promise<string[]> {
  const rel = posix.normalize(pattern.replace(/^\/+/, ''));
  const norm = `/${rel}`;
  if (rel === '..' || rel.startsWith('../'))
    throw new Error(`source '${pattern}' is outside the build context`);
  let found = [''];
  for (const seg of norm.split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const base of found) {
      if (!WILDCARD.test(seg)) {
        next.push(base === '' ? seg : `${base}/${seg}`);
        continue;
      }
      const re = globRegex(seg, pattern);
      const names = await readdir(join(context, base)).catch(() => [] as string[]);
      for (const n of names.sort()) if (re.test(n)) next.push(base === '' ? n : `${base}/${n}`);
    }
    found = next;
  }
  const out: string[] = [];
  for (const f of found) if (await lstat(join(context, f)).catch(() => undefined)) out.push(f);
  return out;
}

/** Creates missing directories of an image path, root-owned 0755 as Docker does. */
async function ensureDir(
  root: string,
  imagePath: string,
  owner?: { uid: number; gid: number },
): Promise<string> {
  const host = await resolveInRoot(root, imagePath, true);
  const st = await stat(host).catch(() => undefined);
  if (st?.isDirectory()) return host;
  if (st !== undefined) throw new Error(`cannot copy into ${imagePath}: it exists and is not a directory`);
  const parent = posix.dirname(imagePath);
  if (parent !== imagePath) await ensureDir(root, parent);
  await mkdir(host, { mode: 0o755 });
  await chmodPath(host, 0o755);
  if (owner) await lchown(host, owner.uid, owner.gid);
  return host;
}

interface Attr {
  readonly owner: { uid: number; gid: number };
  readonly chmod: number | undefined;
  readonly ignore: IgnoreRules | undefined;
}

/** Copies the entries of the context directory `rel` (at `src`) into `dst`, leaving out ignored ones. */
async function copyChildren(src: string, rel: string, dst: string, a: Attr): Promise<void> {
  for (const n of (await readdir(src)).sort()) {
    const childRel = rel === '' ? n : `${rel}/${n}`;
    if (isExcluded(a.ignore, childRel)) {
      // Docker walks an excluded directory only when an exception may re-include something below it;
      // the directory itself is then not in the context, and is made as extraction makes parents.
      if (!mayIncludeBelow(a.ignore, childRel) || !(await lstat(join(src, n))).isDirectory()) continue;
      if (!(await lstat(join(dst, n)).catch(() => undefined))) {
        await mkdir(join(dst, n), { mode: 0o755 });
        await chmodPath(join(dst, n), 0o755);
        await lchown(join(dst, n), a.owner.uid, a.owner.gid);
      }
      await copyChildren(join(src, n), childRel, join(dst, n), a);
      continue;
    }
    await copyEntry(join(src, n), childRel, join(dst, n), a, false);
  }
}

async function copyEntry(src: string, rel: string, dst: string, a: Attr, follow: boolean): Promise<void> {
  const st = follow ? await stat(src) : await lstat(src);
  const existing = await lstat(dst).catch(() => undefined);
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) await rm(dst, { force: true });
    if (!existing?.isDirectory()) await mkdir(dst);
    await copyChildren(src, rel, dst, a);
    await chmodPath(dst, a.chmod ?? st.mode & 0o7777);
  } else {
    if (existing?.isDirectory()) throw new Error(`cannot overwrite directory ${dst} with a file`);
    if (existing) await rm(dst, { force: true });
    if (st.isSymbolicLink()) {
      await symlink(await readlink(src), dst);
      await lchown(dst, a.owner.uid, a.owner.gid);
      await lutimes(dst, st.atime, st.mtime);
      return;
    }
    if (!st.isFile()) throw new Error(`${src} is not a regular file, directory or symlink`);
    await copyFile(src, dst);
    await chmodPath(dst, a.chmod ?? st.mode & 0o7777);
  }
  await lchown(dst, a.owner.uid, a.owner.gid);
  await utimes(dst, st.atime, st.mtime);
}

/**
 * Applies one COPY/ADD to the root filesystem: each matching source (a directory's contents, not the
 * directory itself) goes to the destination, which must be a directory (end in `/`) when there are
 * several sources. Modes and mtimes are kept, owners set to `owner`.
 * @throws Error describing the problem (the caller names the Dockerfile and line).
 */
export async function applyCopy(spec: CopySpec): Promise<void> {
  const matched: string[] = [];
  for (const s of spec.sources) {
    const m = (await matchSources(spec.context, s)).filter((p) => !isExcluded(spec.ignore, p));
    if (m.length === 0)
      throw new Error(
        `no source files were found for '${s}' in the build context ${spec.context}${spec.ignore ? ` (after ${spec.ignore.file})` : ''}`,
      );
    matched.push(...m);
  }
  const a: Attr = { owner: spec.owner ?? { uid: 0, gid: 0 }, chmod: spec.chmod, ignore: spec.ignore };
  const contents = spec.contents ?? [];
  const destHost = await resolveInRoot(spec.root, spec.dest, true);
  const destIsDir =
    spec.dest.endsWith('/') ||
    matched.length + contents.length > 1 ||
    spec.sources.some((s) => WILDCARD.test(s)) ||
    (await stat(destHost).catch(() => undefined))?.isDirectory() === true;
  for (const rel of matched) {
    const src = join(spec.context, rel);
    const st = await stat(src);
    if (st.isDirectory()) {
      const dir = await ensureDir(spec.root, spec.dest, a.owner);
      await copyChildren(src, rel === '.' ? '' : rel, dir, a);
      continue;
    }
    if (spec.extractArchives && (await isArchive(src))) {
      const dir = await ensureDir(spec.root, spec.dest);
      await extractLayer(createReadStream(src), dir, { chown: true });
      continue;
    }
    if (destIsDir) {
      const dir = await ensureDir(spec.root, spec.dest);
      await copyEntry(src, rel, join(dir, basename(rel)), a, true);
    } else {
      await ensureDir(spec.root, posix.dirname(spec.dest));
      await copyEntry(src, rel, await resolveInRoot(spec.root, spec.dest), a, true);
    }
  }
  for (const c of contents) {
    // a heredoc source is a new file: 0644 unless --chmod, owned as the copied files (kaniko)
    const target = destIsDir
      ? join(await ensureDir(spec.root, spec.dest), c.name)
      : await resolveInRoot(spec.root, spec.dest);
    if (!destIsDir) await ensureDir(spec.root, posix.dirname(spec.dest));
    if ((await lstat(target).catch(() => undefined))?.isDirectory())
      throw new Error(`cannot overwrite directory ${target} with the heredoc ${c.name}`);
    await rm(target, { force: true });
    await writeFile(target, c.data);
    await chmodPath(target, spec.chmod ?? 0o644);
    await lchown(target, a.owner.uid, a.owner.gid);
  }
}
