import { execFile } from 'node:child_process';
import { type Dockerd, dockerCli } from '../docker.ts';

/**
 * Containers as platforms create them: `docker create` with the image, user, env, mounts and security
 * options a platform's source sets, files copied in before start (pack's `CopyToContainer`), then
 * `docker start -a` for the output and exit code, and removal.
 */

/** What a platform sets on a container. */
export interface ContainerSpec {
  readonly image: string;
  /** The command (a pod's `command` + `args`, or pack's `Cmd` with the entrypoint cleared). */
  readonly cmd: readonly string[];
  /** `--entrypoint`; pack clears it (`""`), Kubernetes' `command` replaces it. */
  readonly entrypoint?: string;
  /** `uid[:gid]` or a name; default the image's user. */
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** `source:target[:opts]` (host paths or volume names). */
  readonly binds?: readonly string[];
  /** Default `host` (the loopback registry is only reachable that way on the test engine). */
  readonly network?: 'host' | 'none';
  readonly capDrop?: readonly string[];
  readonly capAdd?: readonly string[];
  readonly securityOpt?: readonly string[];
  /** Supplementary groups (a pod's `fsGroup`). */
  readonly groupAdd?: readonly string[];
  readonly workdir?: string;
  /** Uncompressed tars extracted at `/` before the container starts (ownership as in the tar). */
  readonly copyIn?: readonly Buffer[];
  readonly timeoutMs?: number;
}

/** The outcome of a container. */
export interface ContainerRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `docker create` arguments, for failure messages. */
  readonly args: readonly string[];
}

function docker(
  d: Dockerd,
  args: readonly string[],
  o: { input?: Buffer; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = execFile(
      dockerCli(),
      [...args],
      {
        env: { ...process.env, DOCKER_HOST: d.host },
        maxBuffer: 64 * 1024 * 1024,
        timeout: o.timeoutMs ?? 300_000,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && typeof err.code !== 'number')
          reject(new Error(`docker ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
    if (o.input !== undefined) p.stdin?.end(o.input);
    else p.stdin?.end();
  });
}

/** The `docker create` flags of a spec (without the image and command). */
export function createFlags(s: ContainerSpec): string[] {
  const a: string[] = ['--network', s.network ?? 'host'];
  if (s.entrypoint !== undefined) a.push('--entrypoint', s.entrypoint);
  if (s.user !== undefined) a.push('--user', s.user);
  for (const [k, v] of Object.entries(s.env ?? {})) a.push('--env', `${k}=${v}`);
  for (const b of s.binds ?? []) a.push('--volume', b);
  for (const c of s.capDrop ?? []) a.push('--cap-drop', c);
  for (const c of s.capAdd ?? []) a.push('--cap-add', c);
  for (const o of s.securityOpt ?? []) a.push('--security-opt', o);
  for (const g of s.groupAdd ?? []) a.push('--group-add', g);
  if (s.workdir !== undefined) a.push('--workdir', s.workdir);
  return a;
}

/** Creates, fills, starts (attached) and removes a container; resolves with its exit code and output. */
export async function runContainer(d: Dockerd, s: ContainerSpec): Promise<ContainerRun> {
  const args = ['create', ...createFlags(s), s.image, ...s.cmd];
  const created = await docker(d, args);
  if (created.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${created.stderr}`);
  const id = created.stdout.trim();
  try {
    for (const tar of s.copyIn ?? []) {
      const cp = await docker(d, ['cp', '-', `${id}:/`], { input: tar });
      if (cp.code !== 0) throw new Error(`docker cp into ${s.image} failed: ${cp.stderr}`);
    }
    const r = await docker(d, ['start', '--attach', id], { timeoutMs: s.timeoutMs ?? 300_000 });
    return { ...r, args };
  } finally {
    await docker(d, ['rm', '--force', '--volumes=false', id]).catch(() => undefined);
  }
}

/** The run's output and command, for assertion messages. */
export function showRun(r: ContainerRun): string {
  return `exit ${r.code}: docker ${r.args.join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Fails with the container's output unless it exited 0. */
export function succeeded(r: ContainerRun, what: string): ContainerRun {
  if (r.code !== 0) throw new Error(`${what} failed: ${showRun(r)}`);
  return r;
}

/** `docker volume create` (pack's layers, app and cache volumes); returns the name. */
export async function createVolume(d: Dockerd, name: string): Promise<string> {
  const r = await docker(d, ['volume', 'create', name]);
  if (r.code !== 0) throw new Error(`docker volume create ${name} failed: ${r.stderr}`);
  return name;
}

/** `docker volume rm -f` of the given volumes. */
export async function removeVolumes(d: Dockerd, names: readonly string[]): Promise<void> {
  if (names.length > 0) await docker(d, ['volume', 'rm', '--force', ...names]);
}
