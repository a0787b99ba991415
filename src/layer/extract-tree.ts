import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  type Stats,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { LifecycleError } from '../platform/index.ts';

/**
 * The file-system side of the safe extractor: creates entries below `root` with synchronous system calls
 * (one archive entry costs a handful of calls and no thread-pool round trips: a layer of 100,000 small
 * files is bound by these calls, D-232). Every path it is given is lexically inside `root` (see
 * extract-path.ts); this class makes sure no write goes through a symlink or a non-directory.
 */

/** Attributes of an entry, from its tar header. */
export interface EntryAttrs {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
}

const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

export function refuse(name: string, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_LAYER_UNSAFE_ENTRY',
    'failed',
    `refusing to extract entry '${name}': ${why}`,
  );
}

/** lstat, undefined when nothing is there (without building an exception: this runs once per directory). */
function lstatOrUndefined(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

export class TreeWriter {
  /** Directories known to be real directories (created here or checked): parents need no lstat. */
  private readonly safeDirs = new Set<string>();
  /** Directories this extraction created: a later entry for one of them sets its attributes. */
  private readonly created = new Set<string>();
  /** Regular files written by this extraction (the only allowed hard-link targets). */
  private readonly files = new Set<string>();
  /** Directories whose attributes are set at the end, children first. */
  private readonly dirs: { path: string; attrs: EntryAttrs }[] = [];
  /** Requested file modes that open(2) applies as they are (the umask clears none of their bits). */
  private readonly exactModes = new Map<number, boolean>();

  constructor(
    private readonly root: string,
    private readonly chown: boolean,
  ) {
    if (lstatOrUndefined(root) === undefined) this.created.add(root);
    mkdirSync(root, { recursive: true });
    this.safeDirs.add(root);
  }

  /** `root` joined with clean components (no empty, `.` or `..` parts: extract-path.ts made them). */
  path(rel: readonly string[], n = rel.length): string {
    let p = this.root === '/' ? '' : this.root;
    for (let i = 0; i < n; i++) p += `/${rel[i]}`;
    return p === '' ? '/' : p;
  }

  /**
   * Makes sure every parent of `rel` below the root is a directory, creating missing ones (0755). A parent
   * already known safe means all of its ancestors are (a directory is never replaced by a symlink or
   * a file here), which is the common case: entries come directory by directory.
   */
  parents(name: string, rel: readonly string[]): void {
    if (this.safeDirs.has(this.path(rel, rel.length - 1))) return;
    let p = this.root === '/' ? '' : this.root;
    for (let i = 0; i < rel.length - 1; i++) {
      p += `/${rel[i]}`;
      if (this.safeDirs.has(p)) continue;
      try {
        mkdirSync(p, 0o755);
        this.created.add(p);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
        const st = lstatSync(p);
        if (!st.isDirectory())
          throw refuse(name, `'${p}' is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`);
      }
      this.safeDirs.add(p);
    }
  }

  /** Removes what is at `p` so a non-directory can take its place; refuses to replace a directory. */
  private clear(name: string, p: string): void {
    const st = lstatOrUndefined(p);
    if (st === undefined) return;
    if (st.isDirectory()) throw refuse(name, `'${p}' is a directory`);
    unlinkSync(p);
    this.files.delete(p);
  }

  /** Runs `create`; when something is in the way (EEXIST), clears it once and retries. */
  private place<T>(name: string, p: string, create: () => T): T {
    try {
      return create();
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      this.clear(name, p);
      return create();
    }
  }

  dir(p: string, a: EntryAttrs): void {
    const st = lstatOrUndefined(p);
    if (st?.isDirectory()) {
      this.safeDirs.add(p);
      if (this.created.delete(p)) this.dirs.push({ path: p, attrs: a });
      return;
    }
    if (st) rmSync(p, { force: true });
    mkdirSync(p, 0o700);
    this.safeDirs.add(p);
    this.dirs.push({ path: p, attrs: a });
  }

  /** Opens a new regular file at `p` (never through a symlink); returns its descriptor. */
  openFile(name: string, p: string, a: EntryAttrs): number {
    return this.place(name, p, () => openSync(p, FILE_FLAGS, a.mode & 0o777));
  }

  /** Writes all of `chunk` to `fd`. */
  write(fd: number, chunk: Uint8Array): void {
    for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
  }

  /** Sets owner, mode and mtime through the descriptor (nothing swapped in at the path is touched), closes it. */
  closeFile(fd: number, p: string, a: EntryAttrs): void {
    try {
      const mode = a.mode & 0o7777;
      if (this.chown) fchownSync(fd, a.uid, a.gid);
      // chown clears setuid/setgid, and the umask may have cleared bits at open: set the mode when needed.
      if (mode > 0o777 || !this.exact(fd, mode)) fchmodSync(fd, mode);
      futimesSync(fd, a.mtime, a.mtime);
    } finally {
      closeSync(fd);
    }
    this.files.add(p);
  }

  /** True when open(2) gives `mode` unchanged (learned once per mode from the first file's fstat). */
  private exact(fd: number, mode: number): boolean {
    let known = this.exactModes.get(mode);
    if (known === undefined) {
      known = (fstatSync(fd).mode & 0o7777) === mode;
      this.exactModes.set(mode, known);
    }
    return known;
  }

  symlink(name: string, p: string, target: string, a: EntryAttrs): void {
    this.place(name, p, () => symlinkSync(target, p));
    if (this.chown) lchownSync(p, a.uid, a.gid);
    lutimesSync(p, a.mtime, a.mtime);
    this.files.delete(p);
    this.safeDirs.delete(p);
  }

  /** A hard link to `target`, which must be a regular file written earlier by this extraction. */
  hardLink(name: string, p: string, target: string | undefined, linkname: string): void {
    if (target === undefined || !this.files.has(target)) {
      throw refuse(name, `hard link target '${linkname}' is not a file extracted earlier from this layer`);
    }
    if (target === p) return;
    this.place(name, p, () => linkSync(target, p));
    this.files.add(p);
  }

  /** Sets the attributes of the directories this extraction made, deepest last-seen first. */
  finish(): void {
    for (const d of this.dirs.reverse()) {
      if (this.chown) chownSync(d.path, d.attrs.uid, d.attrs.gid);
      chmodSync(d.path, d.attrs.mode & 0o7777);
      utimesSync(d.path, d.attrs.mtime, d.attrs.mtime);
    }
  }
}
