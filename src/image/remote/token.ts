import { LifecycleError, parseBoundedJson } from '../../platform/index.ts';
import { basicAuthorization, type Challenge, type Credential } from '../auth/index.ts';
import {
  bodyTooLargeError,
  isRetryableNetworkError,
  isRetryableStatus,
  networkError,
  type OpContext,
  registryErrorDetail,
  statusError,
} from './errors.ts';
import { BODY_TOO_LARGE, discard, type HttpResponse, readBody, send } from './http.ts';
import type { ResolvedOptions } from './options.ts';
import { backoffDelay, sleep } from './retry.ts';

/** The most bytes read for a token response. */
const MAX_TOKEN_BYTES = 1 << 20;

interface TokenRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

function invalidRealm(ctx: OpContext): LifecycleError {
  return new LifecycleError(
    'ERR_REGISTRY_AUTH',
    'failed',
    `registry ${ctx.registry} announced an invalid token realm; it cannot be authenticated against`,
  );
}

/**
 * The token request for a credential (go-containerregistry's bearer transport, which the reference
 * uses): an identity token is POSTed as an OAuth2 `refresh_token` grant (scopes space-separated);
 * otherwise a GET with `service`/`scope` parameters and the Basic credential, when there is one.
 */
function tokenRequest(
  realm: URL,
  service: string | undefined,
  cred: Credential,
  scopes: readonly string[],
  userAgent: string,
  oauth: boolean,
): TokenRequest {
  const url = new URL(realm);
  const headers: Record<string, string> = { 'user-agent': userAgent };
  if (oauth && cred.kind === 'identity-token') {
    const form = new URLSearchParams({ scope: scopes.join(' ') });
    if (service !== undefined) form.set('service', service);
    form.set('client_id', userAgent);
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', cred.token);
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return { method: 'POST', url, headers, body: Buffer.from(form.toString()) };
  }
  if (service !== undefined) url.searchParams.set('service', service);
  for (const s of scopes) url.searchParams.append('scope', s);
  const basic = basicAuthorization(cred);
  if (basic !== undefined) headers['authorization'] = basic;
  return { method: 'GET', url, headers };
}

/**
 * Gets a Bearer token from the challenge's realm (the Docker token protocol): GET with Basic credentials
 * (or none) and `service`/`scope` parameters, or POST `grant_type=refresh_token` for identity tokens
 * (falling back to the GET when the token server does not implement OAuth2 and answers 404, as
 * go-containerregistry does). Transient failures, also while reading the response, are retried.
 * Returns undefined when the realm is missing (the registry then gets no Authorization header).
 */
export async function fetchToken(
  challenge: Challenge,
  cred: Credential,
  scopes: readonly string[],
  opts: ResolvedOptions,
  ctx: OpContext,
  insecureTLS: boolean,
): Promise<string | undefined> {
  const realm = challenge.params['realm'];
  if (realm === undefined || realm === '') return undefined;
  let realmURL: URL;
  try {
    realmURL = new URL(realm);
  } catch {
    throw invalidRealm(ctx);
  }
  const service = challenge.params['service'];
  const tokenCtx: OpContext = { ...ctx, op: `get a token (${scopes.join(' ')}) from ${realmURL.host}` };
  let oauth = cred.kind === 'identity-token';
  for (let attempt = 1; ; attempt++) {
    const req = tokenRequest(realmURL, service, cred, scopes, opts.userAgent, oauth);
    const retry = async (retryAfterMs?: number) => {
      opts.stats.retries++;
      await sleep(retryAfterMs ?? backoffDelay(opts.retry, attempt), opts.signal);
    };
    let res: HttpResponse;
    try {
      res = await send({
        ...req,
        idleTimeoutMs: opts.idleTimeoutMs,
        insecureTLS,
        caFile: opts.caFile,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    } catch (e) {
      if (!opts.signal?.aborted && attempt < opts.retry.attempts && isRetryableNetworkError(e)) {
        await retry();
        continue;
      }
      throw networkError(tokenCtx, req.url, e, attempt);
    }
    if (res.status === 200) {
      let bytes: Buffer;
      try {
        bytes = await readBody(res, MAX_TOKEN_BYTES);
      } catch (e) {
        if ((e as { code?: unknown }).code === BODY_TOO_LARGE)
          throw bodyTooLargeError(tokenCtx, MAX_TOKEN_BYTES);
        if (!opts.signal?.aborted && attempt < opts.retry.attempts && isRetryableNetworkError(e)) {
          await retry();
          continue;
        }
        throw networkError(tokenCtx, req.url, e, attempt, true);
      }
      return tokenOf(bytes, tokenCtx);
    }
    if (res.status === 404 && req.method === 'POST') {
      // Not every token server implements OAuth2: use the GET every token server supports.
      await discard(res);
      oauth = false;
      attempt--;
      continue;
    }
    if (attempt < opts.retry.attempts && isRetryableStatus(res.status)) {
      await discard(res);
      await retry();
      continue;
    }
    let detail = '';
    try {
      detail = registryErrorDetail(await readBody(res, 64 << 10));
    } catch {
      // none
    }
    throw statusError(tokenCtx, res.status, detail, attempt);
  }
}

/** The token of a token response (`token`, or `access_token` as some registries send). */
function tokenOf(bytes: Buffer, ctx: OpContext): string | undefined {
  let parsed: { token?: unknown; access_token?: unknown };
  try {
    parsed = parseBoundedJson(bytes, 'token response') as typeof parsed;
  } catch {
    throw new LifecycleError(
      'ERR_REGISTRY_AUTH',
      'failed',
      `registry ${ctx.registry}, repository ${ctx.repository}: ${ctx.op} failed: the token response is not JSON`,
    );
  }
  const t = typeof parsed?.token === 'string' && parsed.token !== '' ? parsed.token : parsed?.access_token;
  return typeof t === 'string' && t !== '' ? t : undefined;
}
