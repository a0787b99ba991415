import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { decodeUtf8Strict, LifecycleError, MAX_TOML_DEPTH, nestsDeeperThan } from '../platform/index.ts';

/** A parsed TOML table. */
export type TomlTable = Record<string, unknown>;

/**
 * The largest TOML file read (D-215): parsed TOML takes about 16 times its size in memory, and no file
 * of the specs comes near this. Files a buildpack writes whose content ends in image labels have a
 * smaller limit ({@link MAX_LABEL_SOURCE_BYTES}).
 */
export const MAX_TOML_BYTES = 16 << 20;

/**
 * The largest `store.toml`, `<layer>.toml` or `launch.toml` (D-214): their content is copied into
 * image labels, and the whole image config must stay readable by the analyzer (16 MiB).
 */
export const MAX_LABEL_SOURCE_BYTES = 1 << 20;

/**
 * Parses TOML text or bytes; bytes must be UTF-8 (TOML 1.0 "Spec"), checked strictly. A syntax or
 * encoding error becomes a LifecycleError naming `file`, line and column (`ERR_TOML_PARSE`,
 * `ERR_INVALID_UTF8`, generic exit code unless the caller wraps it); nesting is bounded (D-215).
 */
export function parseToml(input: string | Uint8Array, file: string): TomlTable {
  const text = typeof input === 'string' ? input : decodeUtf8Strict(input, file);
  let t: TomlTable;
  try {
    t = parse(text, { maxDepth: MAX_TOML_DEPTH }) as TomlTable;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      throw new LifecycleError(
        'ERR_TOML_PARSE',
        'failed',
        `${file}:${e.line}:${e.column}: ${first}; fix the TOML syntax of this file`,
        { cause: e },
      );
    }
    throw e;
  }
  if (nestsDeeperThan(t, MAX_TOML_DEPTH))
    throw new LifecycleError(
      'ERR_TOML_PARSE',
      'failed',
      `${file}: tables and arrays nest more than ${MAX_TOML_DEPTH} levels deep; flatten this file`,
    );
  return t;
}

/** How {@link readToml} names and treats a file. */
export interface ReadTomlOptions {
  /** A missing file is `undefined` instead of an error. */
  readonly optional?: boolean;
  /** What the file is, for messages (e.g. `group file`); default `file`. */
  readonly what?: string;
  /** What to do when a required file is missing (e.g. `run the detector first or pass -group`). */
  readonly hint?: string;
  /** The largest file accepted; default {@link MAX_TOML_BYTES}. */
  readonly maxBytes?: number;
}

/** An error for a file over its size limit, naming the file, its size and the limit. */
export function tooLargeError(file: string, what: string, size: number, max: number): LifecycleError {
  return new LifecycleError(
    'ERR_FILE_TOO_LARGE',
    'failed',
    `${what} ${file} is ${size} bytes, more than the limit of ${max} bytes (${max / (1 << 20)} MiB); ` +
      'make it smaller',
  );
}

const NO_FOLLOW_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads at most `max` bytes of a file; a larger file is {@link tooLargeError} (its size is checked
 * before reading, and again while reading, for a file that grows).
 */
export async function readBounded(
  file: string,
  max: number,
  what = 'file',
  opts: { readonly noFollow?: boolean } = {},
): Promise<Buffer> {
  // noFollow: a file a buildpack may have replaced by a symlink is never read through it (D-201).
  const fh = await open(file, opts.noFollow ? NO_FOLLOW_FLAGS : 'r');
  try {
    const st = await fh.stat();
    if (opts.noFollow && !st.isFile()) throw new Error(`${file}: ${what} is not a regular file`);
    const size = st.size;
    if (size > max) throw tooLargeError(file, what, size, max);
    const chunks: Buffer[] = [];
    let got = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(max + 1 - got, Math.max(size - got, 0) + 65536));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > max) throw tooLargeError(file, what, got, max);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  } finally {
    await fh.close();
  }
}

/**
 * Reads and parses a TOML file. A missing file is `undefined` when `optional`, else an error naming the
 * file (`failed to read <what> <file>: no such file; <hint>`); syntax errors carry line and column.
 */
export async function readToml(
  file: string,
  opts: ReadTomlOptions & { optional: true },
): Promise<TomlTable | undefined>;
export async function readToml(
  file: string,
  opts?: ReadTomlOptions & { optional?: false },
): Promise<TomlTable>;
export async function readToml(file: string, opts: ReadTomlOptions = {}): Promise<TomlTable | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readBounded(file, opts.maxBytes ?? MAX_TOML_BYTES, opts.what ?? 'file');
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_FILE_TOO_LARGE') throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && opts.optional) return undefined;
    const what = opts.what ?? 'file';
    throw new LifecycleError(
      code === 'ENOENT' ? 'ERR_FILE_MISSING' : 'ERR_FILE_READ',
      'failed',
      code === 'ENOENT'
        ? `failed to read ${what} ${file}: no such file${opts.hint ? `; ${opts.hint}` : ''}`
        : `failed to read ${what} ${file}: ${code ?? String(e)}`,
      { cause: e },
    );
  }
  return parseToml(bytes, file);
}

/** Serializes a value as TOML, dropping `undefined` members (smol-toml rejects them). */
export function toToml(value: object): string {
  return stringify(dropUndefined(value) as Record<string, unknown>);
}

function dropUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropUndefined);
  if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = dropUndefined(x);
    return out;
  }
  return v;
}

/**
 * Writes a file atomically: temp file in the same directory, fsync, rename (DESIGN.md "Reliability").
 * Parent directories are created. `mode` defaults to 0644.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  } finally {
    await fh.close().catch(() => {});
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Writes a value as TOML atomically. */
export async function writeToml(file: string, value: object): Promise<void> {
  await writeFileAtomic(file, toToml(value));
}

/** Validation helpers: each throws a LifecycleError naming the file and key. */
export function fieldError(file: string, key: string, problem: string): LifecycleError {
  return new LifecycleError('ERR_TOML_INVALID', 'failed', `${file}: ${key}: ${problem}`);
}

export function optString(t: TomlTable, key: string, file: string, path = key): string | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fieldError(file, path, `expected a string, got ${describe(v)}`);
  return v;
}

export function reqString(t: TomlTable, key: string, file: string, path = key): string {
  const v = optString(t, key, file, path);
  if (v === undefined) throw fieldError(file, path, 'is required');
  return v;
}

export function optBool(t: TomlTable, key: string, file: string, path = key): boolean | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw fieldError(file, path, `expected true or false, got ${describe(v)}`);
  return v;
}

export function optTable(t: TomlTable, key: string, file: string, path = key): TomlTable | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date)
    throw fieldError(file, path, `expected a table, got ${describe(v)}`);
  return v as TomlTable;
}

export function optTableArray(t: TomlTable, key: string, file: string, path = key): TomlTable[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw fieldError(file, path, `expected an array of tables, got ${describe(v)}`);
  return v.map((x, i) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x))
      throw fieldError(file, `${path}[${i}]`, `expected a table, got ${describe(x)}`);
    return x as TomlTable;
  });
}

export function optStringArray(t: TomlTable, key: string, file: string, path = key): string[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw fieldError(file, path, `expected an array of strings, got ${describe(v)}`);
  return v as string[];
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a table' : `${typeof v} ${JSON.stringify(v)}`;
}
