/**
 * Environment variable modification rules (buildpack.md "Environment Variable Modification Rules";
 * platform.md "Operator-Defined Variables"). Pure functions: the directory reading lives in env-dir.ts.
 *
 * Rules, as the reference lifecycle applies them (BUILDPACK-API-VERSIONS.md section O):
 * - the variable name is the file name up to the first `.`; the rest is the suffix;
 * - suffixes: `override`, `default`, `append`, `prepend`; none = the directory's default action
 *   (override for buildpack env dirs, default for `<build-config>/env`); `delim` is not a variable;
 *   any other suffix is ignored;
 * - contents are used verbatim (no trimming, no shell evaluation);
 * - append/prepend join with the contents of `<NAME>.delim` from the same directory, and with no
 *   separator when there is none (the reference's behaviour; the spec names no default);
 *   nothing is joined when the current value is empty;
 * - `default` sets only an empty or unset variable;
 * - files apply in lexical file-name order, so `X.append` runs before `X.prepend`.
 */

/** What an env file does to its variable. */
export type EnvAction = 'override' | 'default' | 'append' | 'prepend';

/** One file of an env directory: its name and verbatim contents. */
export interface EnvFile {
  readonly fileName: string;
  readonly content: string;
}

/** A variable modification derived from one env file. */
export interface EnvModification {
  readonly name: string;
  readonly action: EnvAction;
  readonly value: string;
  /** Joiner for append/prepend (`<NAME>.delim` contents); empty when there is no delim file. */
  readonly delim: string;
}

/** A mutable-by-copy environment: name → value. */
export type EnvVars = Readonly<Record<string, string>>;

const ACTIONS: ReadonlySet<string> = new Set(['override', 'default', 'append', 'prepend']);

/**
 * Splits an env file name into variable name and action. Returns undefined for `.delim` files,
 * unknown suffixes and empty names (buildpack.md "Environment Variable Modification Rules").
 */
export function parseEnvFileName(
  fileName: string,
  defaultAction: EnvAction,
): { name: string; action: EnvAction } | undefined {
  const dot = fileName.indexOf('.');
  const name = dot < 0 ? fileName : fileName.slice(0, dot);
  if (name === '') return undefined;
  if (dot < 0) return { name, action: defaultAction };
  const suffix = fileName.slice(dot + 1);
  if (!ACTIONS.has(suffix)) return undefined;
  return { name, action: suffix as EnvAction };
}

/** Sorts by file name the way Go's os.ReadDir does (byte order), so the order is lexical. */
export function sortEnvFiles(files: readonly EnvFile[]): EnvFile[] {
  return [...files].sort((a, b) => compareBytes(a.fileName, b.fileName));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The modifications one env directory makes, in application order. */
export function envModifications(files: readonly EnvFile[], defaultAction: EnvAction): EnvModification[] {
  const sorted = sortEnvFiles(files);
  const delims = new Map<string, string>();
  for (const f of sorted)
    if (f.fileName.endsWith('.delim')) delims.set(f.fileName.slice(0, -'.delim'.length), f.content);
  const out: EnvModification[] = [];
  for (const f of sorted) {
    const parsed = parseEnvFileName(f.fileName, defaultAction);
    if (!parsed) continue;
    out.push({ ...parsed, value: f.content, delim: delims.get(parsed.name) ?? '' });
  }
  return out;
}

/** Applies one modification to a value (undefined = unset); returns the new value. */
export function modifyValue(current: string | undefined, m: EnvModification): string {
  const cur = current ?? '';
  switch (m.action) {
    case 'override':
      return m.value;
    case 'default':
      return cur === '' ? m.value : cur;
    case 'append':
      return cur === '' ? m.value : cur + m.delim + m.value;
    case 'prepend':
      return cur === '' ? m.value : m.value + m.delim + cur;
  }
}

/** Applies modifications in order, returning a new environment. */
export function applyModifications(env: EnvVars, mods: readonly EnvModification[]): Record<string, string> {
  const out: Record<string, string> = { ...env };
  for (const m of mods) out[m.name] = modifyValue(out[m.name], m);
  return out;
}

/** Applies one env directory's files (any order; they are sorted) to an environment. */
export function applyEnvFiles(
  env: EnvVars,
  files: readonly EnvFile[],
  defaultAction: EnvAction,
): Record<string, string> {
  return applyModifications(env, envModifications(files, defaultAction));
}

/** Prepends `value` to a path-list variable with `sep`, omitting the separator when it was empty. */
export function prependPath(current: string | undefined, value: string, sep = ':'): string {
  return current === undefined || current === '' ? value : value + sep + current;
}
