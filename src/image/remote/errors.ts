import { type ErrorCode, LifecycleError, parseBoundedJson } from '../../platform/index.ts';

/** Where a registry operation happened, for messages. */
export interface OpContext {
  readonly registry: string;
  readonly repository: string;
  /** What was being done, e.g. `pull manifest 1.0`, `upload blob sha256:…`. */
  readonly op: string;
}

/** Registry error codes from an OCI error body (`{"errors":[{"code","message"}]}`), as `CODE: message`. */
export function registryErrorDetail(body: Buffer | string | undefined): string {
  if (body === undefined || body.length === 0) return '';
  try {
    const parsed = parseBoundedJson(body, 'error body') as {
      errors?: { code?: unknown; message?: unknown }[];
    };
    const errs = (parsed.errors ?? [])
      .map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(': '))
      .filter((s) => s !== '');
    return errs.join('; ').slice(0, 300);
  } catch {
    return '';
  }
}

function where(ctx: OpContext): string {
  return `registry ${ctx.registry}, repository ${ctx.repository}: ${ctx.op}`;
}

/** An error for an unexpected HTTP status, with advice by status class. */
export function statusError(ctx: OpContext, status: number, detail: string, attempts = 1): LifecycleError {
  const d = detail === '' ? '' : ` (${detail})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  let code: ErrorCode = 'ERR_REGISTRY_STATUS';
  let advice = 'check the registry and retry';
  if (status === 401) {
    code = 'ERR_REGISTRY_UNAUTHORIZED';
    advice =
      'the registry requires credentials or rejected them; provide them in CNB_REGISTRY_AUTH or the docker config.json for ' +
      ctx.registry;
  } else if (status === 403) {
    code = 'ERR_REGISTRY_DENIED';
    advice = `the credentials for ${ctx.registry} lack the needed permission on ${ctx.repository}`;
  } else if (status === 404) {
    code = 'ERR_REGISTRY_NOT_FOUND';
    advice = 'check the image reference';
  } else if (status === 429 || status >= 500) {
    code = 'ERR_REGISTRY_UNAVAILABLE';
    advice = 'the registry is overloaded or failing; retry later';
  }
  return new LifecycleError(
    code,
    'failed',
    `${where(ctx)} failed with HTTP ${status}${d}${tries}; ${advice}`,
  );
}

/**
 * An error for a connection-level failure (refused, reset, timeout, TLS), or, with `whileReading`, for
 * a connection that broke or closed early while the response body was being read.
 */
export function networkError(
  ctx: OpContext,
  url: URL,
  cause: unknown,
  attempts = 1,
  whileReading = false,
): LifecycleError {
  const e = cause as NodeJS.ErrnoException;
  const why = e?.code ?? (e instanceof Error ? e.message : String(cause));
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const tlsHint =
    url.protocol === 'https:' && !whileReading
      ? `; if ${ctx.registry} serves plain HTTP or a self-signed certificate, add it to CNB_INSECURE_REGISTRIES`
      : '';
  const what = whileReading
    ? `the connection to ${url.protocol}//${url.host} broke while reading the response`
    : `cannot talk to ${url.protocol}//${url.host}`;
  return new LifecycleError(
    'ERR_REGISTRY_UNREACHABLE',
    'failed',
    `${where(ctx)} failed: ${what} (${why})${tries}; check the registry address and that it is reachable${tlsHint}`,
    { cause },
  );
}

/** A response body over the size the lifecycle reads for it (a manifest, config or token). */
export function bodyTooLargeError(ctx: OpContext, limit: number): LifecycleError {
  return new LifecycleError(
    'ERR_REGISTRY_BODY_TOO_LARGE',
    'failed',
    `${where(ctx)} failed: the registry sent more than ${limit} bytes (${limit / (1 << 20)} MiB), the most ` +
      'the lifecycle reads for it; the image was not made by a conforming tool — rebuild or re-push it',
  );
}

/** A blob or manifest whose bytes do not match their digest or size. */
export function integrityError(ctx: OpContext, what: string): LifecycleError {
  return new LifecycleError(
    'ERR_REGISTRY_INTEGRITY',
    'failed',
    `${where(ctx)} returned corrupt content: ${what}; the registry storage may be damaged — push the image again`,
  );
}

/** Codes of errors worth retrying (connection resets, timeouts, refused during restarts). */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** True for transient connection failures. */
export function isRetryableNetworkError(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  if ((e as Error).name === 'AbortError') return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined && RETRYABLE_CODES.has(code)) return true;
  return /socket hang up|premature close|aborted/i.test((e as Error).message ?? '');
}

/** True for HTTP statuses worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504
  );
}
