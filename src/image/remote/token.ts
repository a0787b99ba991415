import { LifecycleError } from '../../platform/index.ts';
import { basicHeader, type Challenge, type Credential } from '../auth/index.ts';
import {
  isRetryableNetworkError,
  isRetryableStatus,
  networkError,
  type OpContext,
  registryErrorDetail,
  statusError,
} from './errors.ts';
import { discard, type HttpResponse, readBody, send } from './http.ts';
import type { ResolvedOptions } from './options.ts';
import { backoffDelay, sleep } from './retry.ts';

/**
 * Gets a Bearer token from the challenge's realm (the Docker token protocol): GET with Basic credentials
 * (or none) and `service`/`scope` parameters, or POST `grant_type=refresh_token` for identity tokens.
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
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new LifecycleError(
      'ERR_REGISTRY_AUTH',
      'failed',
      `registry ${ctx.registry} announced an invalid token realm; it cannot be authenticated against`,
    );
  }
  const service = challenge.params['service'];
  const headers: Record<string, string> = { 'user-agent': opts.userAgent };
  let method = 'GET';
  let body: Uint8Array | undefined;
  if (cred.kind === 'identity-token') {
    method = 'POST';
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: cred.token,
      client_id: 'lifecycle',
    });
    if (service !== undefined) form.set('service', service);
    for (const s of scopes) form.append('scope', s);
    body = Buffer.from(form.toString());
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    if (service !== undefined) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (cred.kind === 'basic') headers['authorization'] = basicHeader(cred.username, cred.password);
  }
  const tokenCtx: OpContext = { ...ctx, op: `get a token (${scopes.join(' ')}) from ${url.host}` };
  for (let attempt = 1; ; attempt++) {
    let res: HttpResponse;
    try {
      res = await send({
        method,
        url,
        headers,
        ...(body === undefined ? {} : { body }),
        idleTimeoutMs: opts.idleTimeoutMs,
        insecureTLS,
        caFile: opts.caFile,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    } catch (e) {
      if (!opts.signal?.aborted && attempt < opts.retry.attempts && isRetryableNetworkError(e)) {
        opts.stats.retries++;
        await sleep(backoffDelay(opts.retry, attempt), opts.signal);
        continue;
      }
      throw networkError(tokenCtx, url, e, attempt);
    }
    if (res.status === 200) {
      const parsed = JSON.parse((await readBody(res, 1 << 20)).toString()) as {
        token?: string;
        access_token?: string;
      };
      return parsed.token || parsed.access_token || undefined;
    }
    if (attempt < opts.retry.attempts && isRetryableStatus(res.status)) {
      await discard(res);
      opts.stats.retries++;
      await sleep(backoffDelay(opts.retry, attempt), opts.signal);
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
