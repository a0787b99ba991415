import { Agent, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { LifecycleError, messageOf, parseBoundedJson } from '../../platform/index.ts';

/**
 * A narrow Docker Engine API client (DESIGN.md: "docker load/save/inspect only") over a unix socket
 * or plain tcp, on Node's `http`. Unversioned paths: the daemon answers with its own API version.
 */

/** Where the Docker CLI looks when `DOCKER_HOST` is unset. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** The subset of `GET /images/{name}/json` the lifecycle reads. */
export interface ImageInspect {
  readonly Id: string;
  readonly RepoTags?: readonly string[] | null;
  readonly RepoDigests?: readonly string[] | null;
  readonly Created?: string;
  readonly Author?: string;
  readonly Architecture?: string;
  readonly Variant?: string;
  readonly Os?: string;
  readonly OsVersion?: string;
  readonly Config?: Readonly<Record<string, unknown>> | null;
  readonly RootFS?: { readonly Type: string; readonly Layers?: readonly string[] | null };
  readonly [key: string]: unknown;
}

interface Target {
  readonly socketPath?: string;
  readonly hostname?: string;
  readonly port?: number;
}

function parseHost(host: string): Target {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const m = /^(?:tcp|http):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (m) return { hostname: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 2375 };
  throw new LifecycleError(
    'ERR_DOCKER_HOST',
    'invalidArgs',
    `unsupported DOCKER_HOST "${host}": use unix:///path/to/docker.sock or tcp://host:port (TLS is not supported)`,
  );
}

/** Options of {@link DockerEngine}. */
export interface EngineOptions {
  /**
   * Opens a connection to the daemon instead of connecting to its address (a phase that dropped
   * privileges gets its sockets from a root helper; docs/decisions.md D-202).
   */
  readonly connect?: () => Promise<Socket>;
}

/** An agent whose new connections come from `connect` (Node's async `createConnection` form). */
function connectingAgent(connect: () => Promise<Socket>): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _opts: unknown,
    done: (err: Error | null, s?: Duplex) => void,
  ) => {
    connect().then(
      (s) => done(null, s),
      (e: Error) => done(e),
    );
    return undefined;
  };
  return agent;
}

/** A connection to one Docker daemon. */
export class DockerEngine {
  readonly host: string;
  readonly #target: Target;
  readonly #agent: Agent;

  constructor(host: string = DEFAULT_DOCKER_HOST, opts: EngineOptions = {}) {
    this.host = host;
    this.#target = parseHost(host);
    this.#agent = opts.connect
      ? connectingAgent(opts.connect)
      : new Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** Sends a request; resolves with the response (any status). `body` is streamed. */
  request(
    method: string,
    path: string,
    opts: { body?: Readable; headers?: Record<string, string>; signal?: AbortSignal; what?: string } = {},
  ): Promise<IncomingMessage> {
    const what = opts.what ?? `${method} ${path}`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.#target,
          agent: this.#agent,
          method,
          path,
          headers: { Host: 'docker', ...(opts.headers ?? {}) },
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        resolve,
      );
      req.on('error', (e) => reject(this.#connectError(what, e)));
      if (opts.body) {
        opts.body.on('error', (e) => req.destroy(e));
        opts.body.pipe(req);
      } else {
        req.end();
      }
    });
  }

  /** A JSON request; 404 resolves to undefined, other non-2xx statuses reject with the daemon's message. */
  async json<T>(method: string, path: string, what: string, signal?: AbortSignal): Promise<T | undefined> {
    const res = await this.request(method, path, { what, ...(signal ? { signal } : {}) });
    const body = await readAll(res);
    if (res.statusCode === 404) return undefined;
    if ((res.statusCode ?? 0) >= 300) throw this.statusError(what, res.statusCode ?? 0, body);
    if (body.byteLength === 0) return undefined;
    return parseBoundedJson(body, `docker daemon at ${this.host}: the answer to ${what}`) as T;
  }

  /** `GET /_ping`. @throws LifecycleError `ERR_DOCKER_UNREACHABLE` when the daemon does not answer. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.request('GET', '/_ping', { what: 'ping', ...(signal ? { signal } : {}) });
    const body = (await readAll(res)).toString();
    if (res.statusCode !== 200) throw this.statusError('ping', res.statusCode ?? 0, Buffer.from(body));
  }

  /** `GET /images/{name}/json`, or undefined when the daemon has no such image. */
  inspectImage(name: string, signal?: AbortSignal): Promise<ImageInspect | undefined> {
    return this.json<ImageInspect>(
      'GET',
      `/images/${encodeName(name)}/json`,
      `inspect image ${name}`,
      signal,
    );
  }

  /** `GET /info`. */
  async info(signal?: AbortSignal): Promise<Record<string, unknown>> {
    return (await this.json<Record<string, unknown>>('GET', '/info', 'get daemon info', signal)) ?? {};
  }

  /** `POST /images/{name}/tag`: tags `source` (name or ID) as `repo:tag`. */
  async tagImage(source: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    const q = new URLSearchParams({ repo, tag });
    const what = `tag image ${source} as ${repo}:${tag}`;
    const res = await this.request('POST', `/images/${encodeName(source)}/tag?${q}`, {
      what,
      ...(signal ? { signal } : {}),
    });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw this.statusError(what, res.statusCode ?? 0, body);
  }

  /** `GET /images/get?names=…`: a `docker save` tar stream. */
  async saveImage(name: string, signal?: AbortSignal): Promise<Readable> {
    const what = `save image ${name}`;
    const res = await this.request('GET', `/images/get?${new URLSearchParams({ names: name })}`, {
      what,
      ...(signal ? { signal } : {}),
    });
    if ((res.statusCode ?? 0) >= 300) throw this.statusError(what, res.statusCode ?? 0, await readAll(res));
    return res;
  }

  /**
   * `POST /images/load?quiet=1` with a streamed `docker save`-format tar. Resolves with the daemon's
   * progress messages; rejects with the first error the daemon reports.
   */
  async loadImage(tar: Readable, what: string, signal?: AbortSignal): Promise<string[]> {
    const res = await this.request('POST', '/images/load?quiet=1', {
      body: tar,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
      what,
      ...(signal ? { signal } : {}),
    });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw this.statusError(what, res.statusCode ?? 0, body);
    const messages: string[] = [];
    for (const line of body.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      let msg: { stream?: string; error?: string; errorDetail?: { message?: string } };
      try {
        msg = JSON.parse(line);
      } catch {
        messages.push(line);
        continue;
      }
      const err = msg.errorDetail?.message ?? msg.error;
      if (err !== undefined) {
        throw new LifecycleError(
          'ERR_DOCKER_LOAD',
          'failed',
          `docker daemon at ${this.host}: ${what} failed: ${err}`,
        );
      }
      if (msg.stream) messages.push(msg.stream.trim());
    }
    return messages;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  statusError(what: string, status: number, body: Buffer): LifecycleError {
    let detail = body.toString('utf8').trim();
    try {
      detail = (JSON.parse(detail) as { message?: string }).message ?? detail;
    } catch {
      // plain text body
    }
    return new LifecycleError(
      status === 404 ? 'ERR_IMAGE_NOT_FOUND' : 'ERR_DOCKER_STATUS',
      'failed',
      `docker daemon at ${this.host}: ${what} failed with HTTP ${status}${detail ? ` (${detail.slice(0, 300)})` : ''}`,
    );
  }

  #connectError(what: string, e: unknown): LifecycleError {
    if (e instanceof LifecycleError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    if ((e as Error).name === 'AbortError') {
      return new LifecycleError(
        'ERR_ABORTED',
        'failed',
        `docker daemon at ${this.host}: ${what} was cancelled`,
        { cause: e },
      );
    }
    return new LifecycleError(
      'ERR_DOCKER_UNREACHABLE',
      'failed',
      `cannot talk to the docker daemon at ${this.host} to ${what} (${code ?? messageOf(e)}); ` +
        'check that dockerd is running and DOCKER_HOST points at its socket',
      { cause: e },
    );
  }
}

/** Encodes an image name or ID for a path segment (slashes kept: the Engine routes `{name:.*}`). */
export function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Reads a response body whole (small JSON bodies only). */
export async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
