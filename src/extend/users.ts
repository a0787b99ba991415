import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A passwd entry. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Parses `/etc/passwd` text (`name:pw:uid:gid:gecos:home:shell`); malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] as string, uid, gid, home: f[5] as string });
  }
  return out;
}

/** Parses `/etc/group` text (`name:pw:gid:members`) into name → gid. */
export function parseGroup(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0] === '' || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.set(f[0] as string, gid);
  }
  return out;
}

/** The user database of a root filesystem. */
export interface UserDb {
  readonly passwd: readonly PasswdEntry[];
  readonly groups: ReadonlyMap<string, number>;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** Reads `<root>/etc/passwd` and `<root>/etc/group` (missing files are empty). */
export async function readUserDb(root: string): Promise<UserDb> {
  return {
    passwd: parsePasswd(await readOrEmpty(join(root, 'etc', 'passwd'))),
    groups: parseGroup(await readOrEmpty(join(root, 'etc', 'group'))),
  };
}

const isNumeric = (s: string) => /^\d+$/.test(s);

function lookupUser(db: UserDb, user: string): PasswdEntry | undefined {
  return isNumeric(user)
    ? db.passwd.find((p) => p.uid === Number(user))
    : db.passwd.find((p) => p.name === user);
}

function lookupGroup(db: UserDb, group: string, what: string): number {
  if (isNumeric(group)) return Number(group);
  const gid = db.groups.get(group);
  if (gid === undefined) throw new Error(`${what}: no group '${group}' in /etc/group`);
  return gid;
}

/** Who a RUN runs as: the image's `User` (`user[:group]`), looked up as Docker does. */
export interface RunUser {
  readonly uid: number;
  readonly gid: number;
  /** The passwd home directory, '/' when the user has no entry. */
  readonly home: string;
}

/**
 * Resolves a config `User` for RUN (Dockerfile reference "USER"): a name must exist in `/etc/passwd`;
 * a numeric uid without an entry runs with gid 0; the group defaults to the passwd primary group.
 * @throws Error naming the user when a name is unknown.
 */
export function resolveRunUser(db: UserDb, spec: string | undefined): RunUser {
  if (spec === undefined || spec === '') return { uid: 0, gid: 0, home: '/root' };
  const [user = '', group] = spec.split(':', 2);
  const entry = lookupUser(db, user);
  if (entry === undefined && !isNumeric(user))
    throw new Error(`USER ${spec}: no user '${user}' in /etc/passwd`);
  const uid = entry?.uid ?? Number(user);
  const gid =
    group !== undefined && group !== '' ? lookupGroup(db, group, `USER ${spec}`) : (entry?.gid ?? 0);
  return { uid, gid, home: entry?.home || '/' };
}

/**
 * Resolves COPY/ADD `--chown=user[:group]` (Dockerfile reference "COPY --chown"): names are looked up
 * in the image's files; a user without a group uses the same number as the gid when numeric, its
 * primary group when a name.
 */
export function resolveChown(db: UserDb, spec: string): { uid: number; gid: number } {
  const [user = '', group] = spec.split(':', 2);
  const entry = isNumeric(user) ? undefined : lookupUser(db, user);
  if (!isNumeric(user) && entry === undefined)
    throw new Error(`--chown=${spec}: no user '${user}' in /etc/passwd`);
  const uid = entry?.uid ?? Number(user);
  const gid =
    group !== undefined && group !== '' ? lookupGroup(db, group, `--chown=${spec}`) : (entry?.gid ?? uid);
  return { uid, gid };
}

/** The passwd entry for `uid`, for HOME and USER after the build image is extended. */
export function passwdFor(db: UserDb, uid: number): PasswdEntry | undefined {
  return db.passwd.find((p) => p.uid === uid);
}
