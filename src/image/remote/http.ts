import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createSecureContext } from 'node:tls';

/**
 * A narrow HTTP/1.1 client over `node:http`/`node:https` with keep-alive pools: Node streams in and out
 * (no web-stream copies on the multi-hundred-MiB upload path), an idle timeout that turns stalls into
 * errors, and redirects followed for GET/HEAD only (Authorization is dropped when the host changes,
 * as blob downloads may redirect to storage).
 */

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  /** A buffer, or a stream (give `content-length` in headers for a non-chunked upload). */
  readonly body?: Uint8Array | Readable;
  readonly signal?: AbortSignal;
  /** Socket idle timeout in ms (no bytes either way for this long → error `ETIMEDOUT`). */
  readonly idleTimeoutMs: number;
  /** Skip TLS verification (CNB_INSECURE_REGISTRIES). */
  readonly insecureTLS?: boolean;
  /** PEM bundle to trust instead of the system CAs. */
  readonly caFile?: string | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Final URL after redirects. */
  readonly url: URL;
  readonly body: IncomingMessage;
}

const MAX_REDIRECTS = 5;
const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

let systemCA: string | undefined | null = null;
/** The system CA bundle (the files Go's crypto/x509 reads on Linux), or undefined for Node's own list. */
export function systemCertificates(): string | undefined {
  if (systemCA !== null) return systemCA;
  systemCA = undefined;
  for (const f of SYSTEM_CA_FILES) {
    try {
      systemCA = readFileSync(f, 'utf8');
      break;
    } catch {
      // next candidate
    }
  }
  return systemCA;
}

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32, scheduling: 'lifo' });
const httpsAgents = new Map<string, https.Agent>();

/**
 * The keep-alive agent for a URL. HTTPS trusts the system CAs (or `caFile`, like Go's SSL_CERT_FILE),
 * or nothing is verified for insecure registries. One secure context per trust: parsing a CA bundle
 * costs ~100 ms, so it must not happen per connection.
 */
function agentFor(url: URL, insecure: boolean, caFile: string | undefined): http.Agent {
  if (url.protocol === 'http:') return httpAgent;
  const key = insecure ? 'insecure' : `ca:${caFile ?? ''}`;
  let agent = httpsAgents.get(key);
  if (agent === undefined) {
    const common = { keepAlive: true, maxSockets: 32, scheduling: 'lifo' as const };
    if (insecure) agent = new https.Agent({ ...common, rejectUnauthorized: false });
    else {
      const ca = caFile === undefined ? systemCertificates() : readFileSync(caFile, 'utf8');
      agent = new https.Agent({
        ...common,
        ...(ca === undefined ? {} : { secureContext: createSecureContext({ ca }) }),
      });
    }
    httpsAgents.set(key, agent);
  }
  return agent;
}

function once(req: HttpRequest, url: URL, headers: Record<string, string>): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(req.signal.reason);
      return;
    }
    const mod = url.protocol === 'http:' ? http : https;
    const r = mod.request(url, {
      method: req.method,
      headers,
      agent: agentFor(url, req.insecureTLS === true, req.caFile),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    });
    r.setTimeout(req.idleTimeoutMs, () => {
      const e = Object.assign(new Error(`no data for ${req.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' });
      r.destroy(e);
    });
    r.on('error', reject);
    r.on('response', (res) => {
      // The response keeps the idle timeout of the socket; surface body stalls as errors on the body.
      res.on('error', () => {});
      resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
    });
    const body = req.body;
    if (body === undefined) r.end();
    else if (body instanceof Uint8Array) r.end(body);
    else {
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** Sends a request, following redirects for GET/HEAD. The caller must consume or discard the body. */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const followable = req.method === 'GET' || req.method === 'HEAD';
  for (let hop = 0; ; hop++) {
    const res = await once(req, url, headers);
    const location = res.headers.location;
    if (!followable || ![301, 302, 303, 307, 308].includes(res.status) || location === undefined) return res;
    if (hop >= MAX_REDIRECTS) return res;
    res.body.resume();
    const next = new URL(location, url);
    if (next.host !== url.host) delete headers['authorization'];
    url = next;
  }
}

/** Code of the error {@link readBody} throws for a body over its limit (not worth retrying). */
export const BODY_TOO_LARGE = 'ERR_BODY_TOO_LARGE';

/** Reads a (small) body fully, bounded to `max` bytes (a larger one fails with code {@link BODY_TOO_LARGE}). */
export async function readBody(res: HttpResponse, max = 4 << 20): Promise<Buffer> {
  const declared = Number(header(res, 'content-length'));
  const tooLarge = () =>
    Object.assign(new Error(`the response body is larger than the limit of ${max} bytes`), {
      code: BODY_TOO_LARGE,
      limit: max,
    });
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) {
      res.body.destroy();
      throw tooLarge();
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Drains and discards a body (keeps the connection reusable); never throws. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    for await (const _ of res.body) {
      // drain
    }
  } catch {
    // the connection is dropped anyway
  }
}

/** The header as one string (first value). */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
