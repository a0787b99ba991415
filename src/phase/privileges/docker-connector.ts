import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { LifecycleError } from '../../platform/index.ts';

/**
 * The Docker socket after the drop (D-202). The socket usually admits root only, yet a phase must not
 * keep root's rights while it reads what buildpacks wrote. So before dropping, a phase starts a tiny
 * root helper process whose only job is to connect to that one socket path and pass the connected
 * descriptor back over the IPC channel; the phase then drops privileges for good and asks it for a
 * connection whenever its HTTP agent needs one. The helper reads no file and takes no path from the
 * phase. The reference keeps its Docker connection open across its drop; this also lets a later
 * connection be opened (keep-alive connections the daemon closes, retries).
 */

/** Opens a new connection to the daemon's socket. */
export type DockerConnect = () => Promise<Socket>;

/** A running connector; {@link DockerConnector.close} ends the helper. */
export interface DockerConnector {
  readonly connect: DockerConnect;
  close(): void;
}

// Plain CommonJS for `node -e`: connect to argv[1] on each request, send the socket, never read a file.
const HELPER = `
const net = require('node:net');
const path = process.argv[1];
process.on('message', (m) => {
  const s = net.connect(path);
  s.once('connect', () => process.send({ id: m.id }, s));
  s.once('error', (e) => process.send({ id: m.id, error: String(e.code || e.message) }));
});
process.on('disconnect', () => process.exit(0));
`;

interface Reply {
  readonly id: number;
  readonly error?: string;
}

/**
 * The socket path a connector is needed for: a `unix://` DOCKER_HOST (tcp needs no privileges).
 * Undefined otherwise.
 */
export function dockerSocketPath(host: string): string | undefined {
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/**
 * How to start this Node runtime again: `process.execPath`, or — in the self-contained
 * `/cnb/lifecycle` (D-250), where Node runs under its bundled loader and `execPath` is that loader —
 * the loader with its library path and the `node` beside it.
 */
export function nodeCommand(execPath: string = process.execPath): [string, string[]] {
  if (!basename(execPath).startsWith('ld-linux')) return [execPath, []];
  const lib = dirname(execPath);
  return [execPath, ['--inhibit-cache', '--library-path', lib, join(lib, 'node')]];
}

/** Starts the helper (call while still root). It keeps root's rights; the caller then drops its own. */
export function startDockerConnector(socketPath: string): DockerConnector {
  const [cmd, pre] = nodeCommand();
  const child: ChildProcess = spawn(cmd, [...pre, '-e', HELPER, socketPath], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: {},
  });
  const pending = new Map<number, { resolve: (s: Socket) => void; reject: (e: Error) => void }>();
  let next = 0;
  let closed = false;
  const fail = (why: string) =>
    new LifecycleError(
      'ERR_DOCKER_UNREACHABLE',
      'failed',
      `cannot connect to the docker socket ${socketPath} (${why}); check that dockerd is running and DOCKER_HOST points at its socket`,
    );
  // The channel keeps the process alive only while a connection is being made.
  const idle = () => {
    if (pending.size === 0) child.channel?.unref();
  };
  child.on('message', (m: Reply, handle?: Socket) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    idle();
    if (handle !== undefined && m.error === undefined) p.resolve(handle);
    else p.reject(fail(m.error ?? 'no socket received'));
  });
  const endAll = (why: string) => {
    closed = true;
    for (const p of pending.values()) p.reject(fail(why));
    pending.clear();
  };
  child.on('error', (e) => endAll(`connector failed to start: ${e.message}`));
  child.on('exit', (c, s) => endAll(`connector exited with ${s ?? `code ${c}`}`));
  idle();
  child.unref();
  return {
    connect: () =>
      new Promise<Socket>((resolve, reject) => {
        if (closed) return reject(fail('connector closed'));
        const id = next++;
        pending.set(id, { resolve, reject });
        child.channel?.ref();
        child.send({ id }, (e) => {
          if (e) {
            pending.delete(id);
            idle();
            reject(fail(e.message));
          }
        });
      }),
    close() {
      if (closed) return;
      closed = true;
      if (child.connected) child.disconnect();
    },
  };
}
