import { constants } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';

/**
 * Who a phase runs as, and what buildpacks see of that user (docs/decisions.md D-200, D-203).
 */

/** True when the process runs as root (the only case where ownership is changed and privileges dropped). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * True when `uid:gid` can write a directory with this owner and mode: owner match with owner-write,
 * group match with group-write, or world-write (the reference's `priv.EnsureOwner` test).
 */
export function canWrite(
  st: { readonly uid: number; readonly gid: number; readonly mode: number },
  uid: number,
  gid: number,
): boolean {
  if (st.uid === uid && (st.mode & constants.S_IWUSR) !== 0) return true;
  if (st.gid === gid && (st.mode & constants.S_IWGRP) !== 0) return true;
  return (st.mode & constants.S_IWOTH) !== 0;
}

/** The user a phase switches to, when it switches at all. */
export interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The build user a phase switches to (D-200): only a root process switches, and only to a user other
 * than root (CNB_USER_ID=0 keeps root, D-110). `uid`/`gid` unset count as 0, as the reference reads an
 * unset int. Undefined means "stay who we are".
 */
export function switchTarget(
  uid: number | undefined,
  gid: number | undefined,
  currentUid: number,
): UserIds | undefined {
  if (currentUid !== 0) return undefined;
  const u = uid ?? 0;
  const g = gid ?? 0;
  return u === 0 && g === 0 ? undefined : { uid: u, gid: g };
}

/** An `/etc/passwd` entry. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The first entry for `uid` in passwd(5) text, or undefined. */
export function findPasswdEntry(text: string, uid: number): PasswdEntry | undefined {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || f[0]?.startsWith('#')) continue;
    if (Number(f[2]) !== uid || f[2]?.trim() === '') continue;
    return { name: f[0]!, uid, gid: Number(f[3]), home: f[5] ?? '' };
  }
  return undefined;
}

/** Variables to set (string) or remove (undefined) in the buildpacks' environment. */
export type EnvOverrides = Readonly<Record<string, string | undefined>>;

/**
 * HOME and USER for buildpacks run as `user` (the reference's `priv.SetEnvironmentForUser`; D-203):
 * from the passwd entry of the uid (USER is its login name). Without an entry, USER is removed and
 * HOME kept only when the user can write it, else removed; `note` says which.
 */
export async function userEnv(
  user: UserIds,
  env: Readonly<Record<string, string | undefined>>,
  passwdPath = '/etc/passwd',
): Promise<{ overrides: EnvOverrides; note?: string }> {
  const text = await readFile(passwdPath, 'utf8').catch(() => '');
  const entry = findPasswdEntry(text, user.uid);
  if (entry !== undefined) return { overrides: { HOME: entry.home, USER: entry.name } };
  const home = env['HOME'];
  const writable =
    home !== undefined &&
    home !== '' &&
    (await stat(home).then(
      (st) => canWrite(st, user.uid, user.gid),
      () => false,
    ));
  if (writable)
    return {
      overrides: { USER: undefined },
      note: `uid ${user.uid} has no entry in ${passwdPath}: buildpacks keep HOME=${home} (writable by ${user.uid}:${user.gid}) and get no USER`,
    };
  return {
    overrides: { HOME: undefined, USER: undefined },
    note: `uid ${user.uid} has no entry in ${passwdPath} and cannot write HOME${home ? `=${home}` : ''}: buildpacks get no HOME and no USER`,
  };
}

/** `env` with `overrides` applied (undefined removes a variable). */
export function applyEnv<V extends string | undefined>(
  env: Readonly<Record<string, V>>,
  overrides: EnvOverrides,
): Record<string, V> {
  const out: Record<string, V> = { ...env };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = v as V;
  }
  return out;
}

/**
 * True when `user` can create files in the directory of every path; paths under `handed` count as
 * writable (that directory is handed over first). D-200: outputs a platform puts outside `<layers>`.
 */
export async function canCreateAll(
  user: UserIds,
  handed: string,
  paths: readonly string[],
): Promise<boolean> {
  for (const p of paths) {
    const rel = relative(handed, dirname(p));
    if (!rel.startsWith('..') && !isAbsolute(rel)) continue;
    const ok = await stat(dirname(p)).then(
      (st) => canWrite(st, user.uid, user.gid),
      () => false,
    );
    if (!ok) return false;
  }
  return true;
}
