import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { basicAuthorization, type Credential } from '../auth/index.ts';
import {
  bodyTooLargeError,
  isRetryableNetworkError,
  isRetryableStatus,
  networkError,
  type OpContext,
  registryErrorDetail,
  statusError,
} from './errors.ts';
import { BODY_TOO_LARGE, discard, type HttpResponse, header, readBody, send } from './http.ts';
import type { ResolvedOptions } from './options.ts';
import { type PingResult, ping } from './ping.ts';
import { backoffDelay, sleep } from './retry.ts';
import { fetchToken } from './token.ts';

/** One registry request. Non-`ok` statuses are retried when transient, else thrown as clear errors. */
export interface ClientRequest {
  readonly method: string;
  /** A path such as `/v2/<repo>/manifests/<ref>` (relative to the registry), or an absolute URL. */
  readonly path: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** A buffer, or a factory opening a fresh stream for each attempt. */
  readonly body?: Uint8Array | (() => Promise<Readable>);
  /** What is being done (for messages), e.g. `upload blob sha256:…`. */
  readonly op: string;
  /** Statuses returned to the caller (anything else is an error). */
  readonly ok: readonly number[];
  /** Try only once (e.g. a stream that cannot be reopened by this layer). */
  readonly noRetry?: boolean;
  /** Cancels this request alone (the session's signal cancels every request); never retried once fired. */
  readonly signal?: AbortSignal;
}

/** A response with its whole (bounded) body. */
export interface BytesResponse {
  readonly res: HttpResponse;
  readonly bytes: Buffer;
}

/** Tells credentials apart in the token cache without keeping a secret in a key. */
function credentialKey(cred: Credential): string {
  const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  switch (cred.kind) {
    case 'basic':
      return `basic:${h(`${cred.username}:${cred.password}`)}`;
    case 'basic-encoded':
      return `basic:${h(cred.auth)}`;
    case 'anonymous':
      return 'anonymous';
    default:
      return `${cred.kind}:${h(cred.token)}`;
  }
}

/** Access a client asks for on its repository. */
export type Access = 'pull' | 'push';

/**
 * A client for one repository of one registry: pings once, authenticates (Basic, or Bearer tokens with
 * `repository:<repo>:<actions>` scopes, refreshed once on a 401), and retries transient failures.
 */
export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  readonly opts: ResolvedOptions;
  private readonly scopes: string[];
  private auth: Promise<string | undefined> | undefined;
  private pinged: PingResult | undefined;

  constructor(
    registry: string,
    repository: string,
    opts: ResolvedOptions,
    access: Access,
    mountFrom: readonly string[] = [],
  ) {
    this.registry = registry;
    this.repository = repository;
    this.opts = opts;
    this.scopes = [`repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`];
    for (const from of mountFrom) if (from !== repository) this.scopes.push(`repository:${from}:pull`);
  }

  /** Context for messages. */
  ctx(op: string): OpContext {
    return { registry: this.registry, repository: this.repository, op };
  }

  /** `/v2/<repository>/<rest>`. */
  path(rest: string): string {
    return `/v2/${this.repository}/${rest}`;
  }

  /** The ping result; a failing ping is reported as a failure of `op` (so it names the tag or digest). */
  private async base(op: string): Promise<PingResult> {
    this.pinged ??= await ping(this.registry, this.opts, this.repository, op);
    return this.pinged;
  }

  private async credential(): Promise<Credential> {
    return this.opts.keychain.resolve(this.registry);
  }

  /** The Authorization header to send (undefined → anonymous), computed once unless `refresh`. */
  private authorization(refresh = false): Promise<string | undefined> {
    if (this.auth === undefined || refresh) {
      this.auth = (async () => {
        const p = await this.base('authenticate');
        const cred = await this.credential();
        const scheme = p.challenge?.scheme;
        if (scheme === undefined) return undefined;
        if (cred.kind === 'bearer') return `Bearer ${cred.token}`;
        if (scheme === 'basic') return basicAuthorization(cred);
        if (scheme !== 'bearer') return undefined;
        const key = `${this.registry}|${this.scopes.join(' ')}|${credentialKey(cred)}`;
        let token = refresh ? undefined : this.opts.session.tokens.get(key);
        if (token === undefined) {
          token = fetchToken(
            p.challenge!,
            cred,
            this.scopes,
            this.opts,
            this.ctx('authenticate'),
            p.insecureTLS,
          );
          this.opts.session.tokens.set(key, token);
          token.catch(() => this.opts.session.tokens.delete(key));
        }
        const t = await token;
        return t === undefined ? undefined : `Bearer ${t}`;
      })();
      this.auth.catch(() => {
        this.auth = undefined;
      });
    }
    return this.auth;
  }

  /** Sends a request with auth and retries; returns a response whose status is in `req.ok`. */
  async request(req: ClientRequest): Promise<HttpResponse> {
    return (await this.exchange(req, undefined)).res;
  }

  /**
   * Like {@link request}, and reads the whole body (at most `max` bytes) within the same retries: a
   * connection reset or early close while reading a manifest, config or token body is retried like any
   * transient failure.
   */
  async requestBytes(req: ClientRequest, max: number): Promise<BytesResponse> {
    const r = await this.exchange(req, max);
    return { res: r.res, bytes: r.bytes ?? Buffer.alloc(0) };
  }

  private async exchange(
    req: ClientRequest,
    readMax: number | undefined,
  ): Promise<{ res: HttpResponse; bytes?: Buffer }> {
    const p = await this.base(req.op);
    const url = typeof req.path === 'string' ? new URL(req.path, p.base) : req.path;
    const ctx = this.ctx(req.op);
    const attempts = req.noRetry ? 1 : this.opts.retry.attempts;
    const signals = [this.opts.signal, req.signal].filter((x) => x !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const authz = await this.authorization();
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent, ...(req.headers ?? {}) };
      if (authz !== undefined && url.host === p.base.host) headers['authorization'] = authz;
      let res: HttpResponse;
      let body: Uint8Array | Readable | undefined;
      try {
        body = typeof req.body === 'function' ? await req.body() : req.body;
        res = await send({
          method: req.method,
          url,
          headers,
          ...(body === undefined ? {} : { body }),
          idleTimeoutMs: this.opts.idleTimeoutMs,
          insecureTLS: p.insecureTLS,
          caFile: this.opts.caFile,
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (e) {
        if (body !== undefined && !(body instanceof Uint8Array)) body.destroy();
        if (signal?.aborted) throw e;
        if ((e as { exitCode?: unknown }).exitCode !== undefined) throw e;
        if (attempt < attempts && isRetryableNetworkError(e)) {
          this.opts.stats.retries++;
          await sleep(backoffDelay(this.opts.retry, attempt), this.opts.signal);
          continue;
        }
        throw networkError(ctx, url, e, attempt);
      }
      if (req.ok.includes(res.status)) {
        if (readMax === undefined) return { res };
        try {
          return { res, bytes: await readBody(res, readMax) };
        } catch (e) {
          if (this.opts.signal?.aborted) throw e;
          if ((e as { code?: unknown }).code === BODY_TOO_LARGE) throw bodyTooLargeError(ctx, readMax);
          if (attempt < attempts && isRetryableNetworkError(e)) {
            this.opts.stats.retries++;
            await sleep(backoffDelay(this.opts.retry, attempt), this.opts.signal);
            continue;
          }
          throw networkError(ctx, url, e, attempt, true);
        }
      }
      if (body !== undefined && !(body instanceof Uint8Array)) body.unpipe().destroy();
      if (res.status === 401 && !refreshed && p.challenge?.scheme === 'bearer') {
        refreshed = true;
        await discard(res);
        await this.authorization(true);
        attempt--;
        continue;
      }
      if (attempt < attempts && isRetryableStatus(res.status)) {
        const retryAfter = header(res, 'retry-after');
        await discard(res);
        this.opts.stats.retries++;
        await sleep(backoffDelay(this.opts.retry, attempt, retryAfter), this.opts.signal);
        continue;
      }
      let detail = '';
      try {
        detail = registryErrorDetail(await readBody(res, 64 << 10));
      } catch {
        // no detail
      }
      throw statusError(ctx, res.status, detail, attempt);
    }
  }
}
