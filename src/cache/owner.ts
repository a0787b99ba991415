import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who owns a piece of work in a shared cache directory (a staging area, the commit lock), written into
 * its name, so that another process can prove the owner gone before it removes that work (D-231).
 * A process is identified by host name, boot, PID namespace, PID and the PID's start time: the last two
 * tell a live process from a later one that reused its PID.
 */
export interface Owner {
  readonly pid: number;
  /** Start time of the process in clock ticks since boot (`/proc/<pid>/stat` field 22); 0 when unknown. */
  readonly start: number;
  /** PID namespace inode (`/proc/self/ns/pid`); 0 when unknown. */
  readonly pidns: number;
  /** First 12 hex digits of the boot ID; '' when unknown. */
  readonly boot: string;
  readonly host: string;
  /** Distinguishes several owners in one process. */
  readonly nonce: string;
}

function tryRead(f: () => string): string {
  try {
    return f();
  } catch {
    return '';
  }
}

/** Start time of process `pid` from `/proc`, or undefined when there is no such process. */
export function processStart(pid: number): number | undefined {
  const stat = tryRead(() => readFileSync(`/proc/${pid}/stat`, 'latin1'));
  if (stat === '') return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19]) || 0;
}

let self: Omit<Owner, 'nonce'> | undefined;

/** This process, with a fresh nonce. */
export function currentOwner(): Owner {
  self ??= {
    pid: process.pid,
    start: processStart(process.pid) ?? 0,
    pidns: Number(/\[(\d+)\]/.exec(tryRead(() => readlinkSync('/proc/self/ns/pid')))?.[1] ?? 0),
    boot: tryRead(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1'))
      .replace(/[^0-9a-f]/g, '')
      .slice(0, 12),
    host: hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'unknown',
  };
  return { ...self, nonce: randomBytes(4).toString('hex') };
}

/** The owner as a file-name part: `<pid>-<start>-<pidns>-<boot>-<nonce>-<host>`. */
export function ownerToken(o: Owner): string {
  return `${o.pid}-${o.start}-${o.pidns}-${o.boot || 'x'}-${o.nonce}-${o.host}`;
}

const TOKEN = /^(\d+)-(\d+)-(\d+)-([0-9a-f]+|x)-([0-9a-f]+)-([A-Za-z0-9._-]+)$/;

/** Parses {@link ownerToken}; undefined for anything else. */
export function parseOwnerToken(token: string): Owner | undefined {
  const m = TOKEN.exec(token);
  if (m === null) return undefined;
  return {
    pid: Number(m[1]),
    start: Number(m[2]),
    pidns: Number(m[3]),
    boot: m[4] === 'x' ? '' : m[4]!,
    nonce: m[5]!,
    host: m[6]!,
  };
}

/**
 * True only when `owner` is provably gone, seen from `me`: same host, same boot and same PID namespace
 * (so its PID means the same process here), and that PID is not running or runs a process started at
 * another time. Anything that cannot be checked (another host or container, an unknown boot or
 * namespace) is presumed alive. `startOf` looks a PID's start time up (undefined: no such process).
 */
export function provablyGone(
  owner: Owner,
  me: Owner,
  startOf: (pid: number) => number | undefined = processStart,
): boolean {
  if (owner.host !== me.host || owner.boot === '' || owner.boot !== me.boot) return false;
  if (owner.pidns === 0 || owner.pidns !== me.pidns) return false;
  if (owner.pid === me.pid && owner.start === me.start) return false;
  const start = startOf(owner.pid);
  if (start === undefined) return true;
  return owner.start !== 0 && start !== 0 && start !== owner.start;
}
