/** Backoff policy for transient registry failures (429, 5xx, connection resets, stalls). */
export interface RetryPolicy {
  /** Total tries, including the first (≥ 1). */
  readonly attempts: number;
  /** First delay; doubles each retry, with ±20% jitter. */
  readonly baseDelayMs: number;
  /** Cap on any delay (also on a server's Retry-After). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Delay before retry number `retry` (1-based), honouring a Retry-After value when given. */
export function backoffDelay(policy: RetryPolicy, retry: number, retryAfter?: string): number {
  if (retryAfter !== undefined) {
    const secs = Number(retryAfter);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, policy.maxDelayMs);
  }
  const exp = policy.baseDelayMs * 2 ** (retry - 1);
  const jitter = 1 + (Math.random() * 0.4 - 0.2);
  return Math.min(policy.maxDelayMs, Math.round(exp * jitter));
}

/** Sleeps `ms`, rejecting early with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
