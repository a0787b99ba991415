import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** dist/lifecycle, built by `npm run build` (which `npm test` runs first). */
export const LIFECYCLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'lifecycle');

export interface PhaseRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PhaseOptions {
  /** Inherit the whole environment instead of PATH and HOME only. */
  readonly inherit?: boolean;
  readonly cwd?: string;
  /** Killed with SIGKILL after this long; default 120 s. */
  readonly timeoutMs?: number;
  /** Where the phase binaries are; default dist/lifecycle (see {@link lifecycleSnapshot}). */
  readonly dir?: string;
}

/** A started phase: the child (to signal it) and its outcome. */
export interface StartedPhase {
  readonly child: ChildProcess;
  readonly done: Promise<PhaseRun>;
}

/**
 * Starts a built phase binary exactly as a platform would: `<dir>/<phase> args…` with the given
 * environment (only PATH and HOME are inherited unless `inherit` is set).
 */
export function startPhase(
  phase: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: PhaseOptions = {},
): StartedPhase {
  const bin = join(opts.dir ?? LIFECYCLE_DIR, phase);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'npm run build' first`);
  const base: Record<string, string | undefined> = opts.inherit
    ? { ...process.env }
    : { PATH: process.env['PATH'], HOME: process.env['HOME'] };
  const child = spawn(bin, args, {
    env: { ...base, ...env } as NodeJS.ProcessEnv,
    cwd: opts.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<PhaseRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs a built phase binary to the end (see {@link startPhase}). */
export function runPhase(
  phase: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: PhaseOptions = {},
): Promise<PhaseRun> {
  return startPhase(phase, args, env, opts).done;
}

let snapshot: Promise<string> | undefined;

/**
 * Copies a tree: symlinks as they are (the phase entries are relative links to `lifecycle`), regular
 * files as hard links where possible (the build writes new files and renames, so linked files keep
 * their old content), else copies.
 */
async function copyTree(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    const src = join(from, name);
    const dest = join(to, name);
    const st = await lstat(src);
    if (st.isSymbolicLink()) await symlink(await readlink(src), dest);
    else if (st.isDirectory()) {
      await mkdir(dest, { mode: st.mode & 0o7777 });
      await copyTree(src, dest);
    } else await link(src, dest).catch(() => copyFile(src, dest));
  }
}

/**
 * A private copy of dist/lifecycle, taken once per process, for suites that must not see a rebuild
 * mid-run. Waits up to a minute for a build in progress to finish.
 */
export function lifecycleSnapshot(): Promise<string> {
  snapshot ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifecycle-copy-'));
    await chmod(dir, 0o755);
    for (let i = 0; ; i++) {
      try {
        for (const f of ['lifecycle.mjs', 'node', 'lifecycle', 'launcher', 'creator', 'exporter'])
          if (!existsSync(join(LIFECYCLE_DIR, f))) throw new Error(`${f} is missing`);
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { mode: 0o755 });
        await copyTree(LIFECYCLE_DIR, dir);
        return dir;
      } catch (e) {
        if (i >= 60)
          throw new Error(`${LIFECYCLE_DIR} is incomplete: run 'npm run build' first (${String(e)})`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return snapshot;
}

/** Removes the private copy (call from `after`). */
export async function removeLifecycleSnapshot(): Promise<void> {
  if (snapshot !== undefined) await rm(await snapshot, { recursive: true, force: true });
  snapshot = undefined;
}
