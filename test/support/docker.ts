import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A private Docker engine for tests (DESIGN.md "Real components in tests"): Debian's `dockerd` with the
 * vfs storage driver, no iptables and no bridge, listening on a short unix socket in a temp directory.
 * It never skips: a missing or failing dockerd is an error that says what to install and shows its log.
 */

const run = promisify(execFile);

/** A running test daemon. */
export interface Dockerd {
  /** `unix:///tmp/dkd-…/docker.sock` */
  readonly host: string;
  /** Environment for the docker CLI (and the lifecycle) to talk to this daemon. */
  readonly env: { readonly DOCKER_HOST: string };
  /** Path of the unix socket. */
  readonly socket: string;
  /** `tcp://127.0.0.1:<port>` when started with `tcp: true` (plain HTTP on loopback). */
  readonly tcpHost?: string;
  /** The storage driver it runs with (see {@link DockerdOptions.storageDrivers}). */
  readonly storageDriver: string;
  /** Runs the docker CLI against this daemon; rejects with stderr on failure. */
  docker(args: readonly string[], opts?: { input?: Buffer }): Promise<{ stdout: string; stderr: string }>;
  /** Stops the daemon and removes its directories. */
  stop(): Promise<void>;
}

/** Path of the docker CLI, or a clear error. */
export function dockerCli(): string {
  for (const p of ['/usr/local/bin/docker', '/usr/bin/docker']) if (existsSync(p)) return p;
  throw new Error(
    'the docker CLI is missing (looked in /usr/local/bin and /usr/bin); install it with `apt-get install -y docker.io`',
  );
}

function findDockerd(): string {
  for (const p of ['/usr/sbin/dockerd', '/usr/bin/dockerd', '/usr/local/bin/dockerd'])
    if (existsSync(p)) return p;
  throw new Error(
    'dockerd is missing: the daemon tests need a real Docker engine; install it with `apt-get install -y docker.io`',
  );
}

/** GET /_ping over the socket; true on `OK`. */
function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function logTail(logFile: string, lines = 30): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A free loopback TCP port. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Options of {@link startDockerd}. */
export interface DockerdOptions {
  readonly timeoutMs?: number;
  readonly tcp?: boolean;
  readonly extraArgs?: readonly string[];
  /**
   * Storage drivers to try in order, the first that starts wins (default `['overlay2', 'vfs']`). vfs
   * copies the whole image for every container; overlay2 does not, where the kernel and the data root's
   * file system allow it (docs/decisions.md D-296).
   */
  readonly storageDrivers?: readonly string[];
}

/**
 * Starts a private dockerd and waits until `/_ping` answers (default timeout 60 s). With `tcp: true` it
 * also listens on a loopback TCP port (see {@link Dockerd.tcpHost}).
 */
export async function startDockerd(opts: DockerdOptions = {}): Promise<Dockerd> {
  const [driver = 'vfs', ...others] = opts.storageDrivers ?? ['overlay2', 'vfs'];
  try {
    return await startWith(driver, opts);
  } catch (e) {
    if (others.length === 0) throw e;
    return startDockerd({ ...opts, storageDrivers: others });
  }
}

async function startWith(storageDriver: string, opts: DockerdOptions): Promise<Dockerd> {
  const dockerd = findDockerd();
  const cli = dockerCli();
  const dir = await mkdtemp('/tmp/dkd-');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const tcpHost = opts.tcp ? `tcp://127.0.0.1:${await freePort()}` : undefined;
  const logFile = join(dir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      dockerd,
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'dockerd.pid'),
        '--storage-driver',
        storageDriver,
        '--iptables=false',
        '--bridge=none',
        '--host',
        host,
        ...(tcpHost ? ['--host', tcpHost] : []),
        ...(opts.extraArgs ?? []),
      ],
      { stdio: ['ignore', log, log], detached: false },
    );
  } finally {
    closeSync(log);
  }
  // never leave a daemon behind when the test process ends without calling stop()
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.on('error', (e) => {
    exited = `failed to start: ${e.message}`;
  });

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (exited === undefined && child.pid !== undefined) {
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(timer);
    }
    // dockerd may leave its host network namespace bind-mounted (after `--network host` containers)
    const netns = join(dir, 'exec', 'netns', 'default');
    await run('umount', ['--lazy', netns]).catch(() => undefined);
    // dockerd bind-mounts its data root onto itself and, when it fails to start, leaves it mounted
    await run('umount', ['--lazy', join(dir, 'data')]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (!(await ping(socket))) {
    if (exited !== undefined || Date.now() > deadline) {
      const why = exited ?? `did not answer /_ping within ${opts.timeoutMs ?? 60_000} ms`;
      const tail = await logTail(logFile);
      await stop();
      throw new Error(
        `dockerd ${why} (the daemon tests need it; it must run as root with the ${storageDriver} driver). Log tail:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    host,
    env: { DOCKER_HOST: host },
    socket,
    storageDriver,
    ...(tcpHost ? { tcpHost } : {}),
    docker: async (args, o = {}) => {
      const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'cli-config') };
      if (o.input === undefined) {
        try {
          const r = await run(cli, [...args], { env, maxBuffer: 256 * 1024 * 1024 });
          return { stdout: r.stdout, stderr: r.stderr };
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          throw new Error(`docker ${args.join(' ')} failed: ${err.stderr || err.message}`);
        }
      }
      return new Promise((resolve, reject) => {
        const p = execFile(cli, [...args], { env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`docker ${args.join(' ')} failed: ${stderr || err.message}`));
          else resolve({ stdout, stderr });
        });
        p.stdin?.end(o.input);
      });
    },
    stop,
  };
}
