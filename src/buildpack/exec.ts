import { spawn } from 'node:child_process';
import { LifecycleError, type Logger, messageOf } from '../platform/index.ts';

/** How a buildpack executable is run (bin/detect, bin/build, bin/generate). */
export interface ExecOptions {
  /** Absolute path of the executable. */
  readonly cmd: string;
  /** Positional arguments (S-2: always passed). */
  readonly args: readonly string[];
  /** The complete environment; nothing is inherited from the lifecycle's process. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory (`<app>`). */
  readonly cwd: string;
  /** Run as this uid/gid (Node's spawn `uid`/`gid`); the CLI passes CNB_USER_ID/CNB_GROUP_ID. */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * `stream` (default): stdout/stderr go to the logger as they arrive (bin/build).
   * `capture`: stdout and stderr are collected together into `output`, nothing is logged
   * (bin/detect: the reference prints detect output only at debug or on error).
   */
  readonly output?: 'stream' | 'capture';
  /** In capture mode, keep at most this many bytes (the end of the output); default 8 MiB. */
  readonly captureLimit?: number;
  readonly signal?: AbortSignal;
}

/** The outcome of running an executable. */
export interface ExecResult {
  /** Exit status; -1 when the process could not be started or was killed by a signal. */
  readonly code: number;
  /** Signal that killed the process, if any. */
  readonly signal?: string;
  /** Why the process could not be started (ENOENT, EACCES, …). */
  readonly error?: string;
  /** Combined stdout and stderr, in arrival order (capture mode only; `''` otherwise). */
  readonly output: string;
}

/**
 * Spawns a buildpack executable and resolves with its exit status. Never rejects for a failing
 * or missing executable: the caller decides what a non-zero status means (buildpack.md "Detection").
 */
export function execBuildpack(opts: ExecOptions, log: Logger): Promise<ExecResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const capture = opts.output === 'capture';
    const limit = opts.captureLimit ?? 8 * 1024 * 1024;
    let kept = 0;
    let dropped = false;
    const keep = (c: Buffer) => {
      chunks.push(c);
      kept += c.length;
      // Keep the end of a runaway output: it holds the error that matters.
      while (kept > limit && chunks.length > 1) {
        kept -= chunks.shift()?.length ?? 0;
        dropped = true;
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(opts.cmd, [...opts.args], {
        cwd: opts.cwd,
        env: { ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(opts.uid === undefined ? {} : { uid: opts.uid }),
        ...(opts.gid === undefined ? {} : { gid: opts.gid }),
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    } catch (e) {
      resolve({ code: -1, error: messageOf(e), output: '' });
      return;
    }
    child.stdout?.on('data', (c: Buffer) => (capture ? keep(c) : log.stdout(c)));
    child.stderr?.on('data', (c: Buffer) => (capture ? keep(c) : log.stderr(c)));
    let spawnError: string | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = describeSpawnError(opts.cmd, e);
    });
    child.on('close', (code, signal) => {
      const output = (dropped ? '[earlier output truncated]\n' : '') + Buffer.concat(chunks).toString('utf8');
      if (spawnError !== undefined) resolve({ code: -1, error: spawnError, output });
      else if (code === null)
        resolve({
          code: -1,
          signal: signal ?? 'unknown',
          error: `${opts.cmd} was killed by ${signal}`,
          output,
        });
      else resolve({ code, output });
    });
  });
}

function describeSpawnError(cmd: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return `${cmd}: no such file or directory`;
    case 'EACCES':
      return `${cmd}: permission denied (is it executable?)`;
    case 'ENOEXEC':
      return `${cmd}: exec format error (missing #! line?)`;
    default:
      return `${cmd}: ${e.message}`;
  }
}

/**
 * Refuses to run buildpacks as root unless the build user is given (S-7; the reference
 * exits 1 with "refusing to run as root"). `currentUid` is the lifecycle process's uid.
 */
export function assertNotRootOrUser(
  uid: number | undefined,
  gid: number | undefined,
  currentUid: number,
  action = 'run buildpacks',
): void {
  if (currentUid === 0 && (uid === undefined || gid === undefined)) {
    throw new LifecycleError(
      'ERR_ROOT',
      'failed',
      `failed to ${action}: refusing to run as root; buildpacks run as the build user: set CNB_USER_ID and CNB_GROUP_ID to the uid/gid of the build image user`,
    );
  }
}
