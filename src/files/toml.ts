import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { LifecycleError } from '../platform/errors.ts';

/** A parsed TOML table. */
export type TomlTable = Record<string, unknown>;

/**
 * Parses TOML text; a syntax error becomes a LifecycleError naming `file`, line and column
 * (`ERR_TOML_PARSE`, generic exit code unless the caller wraps it).
 */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
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
}

/** How {@link readToml} names and treats a file. */
export interface ReadTomlOptions {
  /** A missing file is `undefined` instead of an error. */
  readonly optional?: boolean;
  /** What the file is, for messages (e.g. `group file`); default `file`. */
  readonly what?: string;
  /** What to do when a required file is missing (e.g. `run the detector first or pass -group`). */
  readonly hint?: string;
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
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
  return parseToml(text, file);
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
