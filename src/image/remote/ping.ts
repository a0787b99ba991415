import { type Challenge, pickChallenge } from '../auth/index.ts';
import {
  isRetryableNetworkError,
  networkError,
  type OpContext,
  registryErrorDetail,
  statusError,
} from './errors.ts';
import { discard, type HttpResponse, header, readBody, send } from './http.ts';
import type { ResolvedOptions } from './options.ts';
import { backoffDelay, sleep } from './retry.ts';
import { handshakes } from './tls-probe.ts';

/** What `GET /v2/` told us about a registry. */
export interface PingResult {
  /** `http://host:port` or `https://host:port`. */
  readonly base: URL;
  /** Whether TLS verification is skipped (insecure registries). */
  readonly insecureTLS: boolean;
  /** The auth challenge, when /v2/ answered 401. */
  readonly challenge?: Challenge;
}

const PING_TIMEOUT_MS = 10_000;
/** A ping's idle timeout: the client's, at most PING_TIMEOUT_MS. */
const pingTimeout = (opts: ResolvedOptions) => Math.min(PING_TIMEOUT_MS, opts.idleTimeoutMs);

/** The host without port or brackets. */
function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon < 0 ? registry : registry.slice(0, colon);
}

/** True for localhost, loopback and RFC1918 addresses (plain HTTP allowed, go-containerregistry's rule). */
export function isLocalRegistry(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * The schemes to try, in order: HTTPS always first; plain HTTP as a fallback for local/RFC1918 registries
 * and the insecure list (which also skips TLS verification).
 */
export function schemesFor(
  registry: string,
  insecure: ReadonlySet<string>,
): { schemes: string[]; insecureTLS: boolean } {
  const listed = insecure.has(registry);
  return {
    schemes: listed || isLocalRegistry(registry) ? ['https', 'http'] : ['https'],
    insecureTLS: listed,
  };
}

/** One scheme: a registry answer (200 or 401), else a rejection (connection error or other status). */
async function probe(
  url: URL,
  opts: ResolvedOptions,
  insecureTLS: boolean,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const res = await send({
    method: 'GET',
    url,
    headers: { 'user-agent': opts.userAgent },
    idleTimeoutMs: pingTimeout(opts),
    insecureTLS,
    caFile: opts.caFile,
    signal,
  });
  if (res.status !== 200 && res.status !== 401) {
    // Say what the registry answered (its OCI error body, when it sent one).
    let detail = '';
    try {
      detail = registryErrorDetail(await readBody(res, 64 << 10));
    } catch {
      // no detail
    }
    throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, detail });
  }
  await discard(res);
  return res;
}

/** TLS failures (untrusted or mismatched certificates) say more than the plain-HTTP fallback's answer. */
function isTlsError(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code ?? '';
  return /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code);
}

/**
 * Tries the schemes concurrently (one port speaks one protocol, so at most one can answer; racing
 * saves the TLS probe's round trips on plain-HTTP registries) and takes the first HTTP answer.
 */
async function pingOnce(
  registry: string,
  opts: ResolvedOptions,
  repository: string,
  op: string,
  attempt: number,
): Promise<PingResult> {
  const { schemes, insecureTLS } = schemesFor(registry, opts.insecure);
  const ctx: OpContext = { registry, repository, op: `${op} (GET /v2/)` };
  const ac = new AbortController();
  const onAbort = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const urls = schemes.map((s) => new URL(`${s}://${registry}/v2/`));
  // D-431: where plain HTTP may answer, a bare handshake first tells whether HTTPS is worth verifying.
  const handshakeFirst = !insecureTLS && schemes.includes('http');
  const start = (u: URL) =>
    handshakeFirst && u.protocol === 'https:'
      ? handshakes(registry, pingTimeout(opts), ac.signal).then(() => probe(u, opts, insecureTLS, ac.signal))
      : probe(u, opts, insecureTLS, ac.signal);
  let res: HttpResponse;
  try {
    res = await Promise.any(urls.map(start));
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const errors: unknown[] = (e as AggregateError).errors ?? [e];
    // A certificate problem on HTTPS is the story; else the last scheme's failure (plain HTTP for local
    // registries, the likely intent). A registry that answered with an unexpected status says so.
    const tls = errors.findIndex(isTlsError);
    const i = tls >= 0 ? tls : errors.length - 1;
    const { status, detail } = errors[i] as { status?: number; detail?: string };
    if (status !== undefined) throw statusError(ctx, status, detail ?? '', attempt);
    throw networkError(ctx, urls[i]!, errors[i], attempt);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  ac.abort();
  const base = new URL(`${res.url.protocol}//${registry}`);
  if (res.status === 401) {
    const challenge = pickChallenge(header(res, 'www-authenticate'));
    return { base, insecureTLS, ...(challenge === undefined ? {} : { challenge }) };
  }
  return { base, insecureTLS };
}

/** True when a failed ping is worth another try (refused/reset/timeouts, 429/5xx), not TLS or DNS. */
function transient(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  if (code === 'ERR_REGISTRY_UNAVAILABLE') return true;
  return code === 'ERR_REGISTRY_UNREACHABLE' && isRetryableNetworkError((e as Error).cause);
}

/**
 * Pings a registry once per session (retrying transient failures with the session's policy); the result
 * says which scheme works and how the registry wants to be authenticated. `repository` and `op` (what
 * the ping is for, e.g. `pull manifest 1.0`) are for messages.
 */
export function ping(
  registry: string,
  opts: ResolvedOptions,
  repository = '(any)',
  op = 'ping',
): Promise<PingResult> {
  const key = `${registry}|${opts.insecure.has(registry)}`;
  const cached = opts.session.pings.get(key) as Promise<PingResult> | undefined;
  if (cached !== undefined) return cached;
  const p = (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await pingOnce(registry, opts, repository, op, attempt);
      } catch (e) {
        if (opts.signal?.aborted || !transient(e) || attempt >= opts.retry.attempts) throw e;
        opts.stats.retries++;
        await sleep(backoffDelay(opts.retry, attempt), opts.signal);
      }
    }
  })();
  opts.session.pings.set(key, p);
  p.catch(() => opts.session.pings.delete(key));
  return p;
}
