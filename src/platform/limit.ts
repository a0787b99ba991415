import { setMaxListeners } from 'node:events';

/**
 * Bounded concurrency, written once for every phase and domain (DESIGN.md "Concurrency": bounded; D-380).
 *
 * One behaviour everywhere:
 * - at most `limit` tasks run at once (a limit below 1 counts as 1);
 * - **failure**: after the first task rejects, no new task starts; the signal handed to the running tasks
 *   aborts (with the error as its reason) so they can stop early; once every started task has settled the
 *   call rejects with that first error (later errors are dropped);
 * - **cancellation**: when the caller's `signal` aborts, no new task starts, the running tasks' signal
 *   aborts, and once they have settled the call rejects with the signal's reason;
 * - results keep the order of the inputs.
 */

/** Options of {@link mapLimit} and {@link limiter}. */
export interface LimitOptions {
  /** Cancels the work: no new task starts, running tasks see their signal abort. */
  readonly signal?: AbortSignal;
}

/** A task's view: the signal that aborts on the caller's cancellation or a sibling's failure. */
export type LimitedTask<T, R> = (item: T, index: number, signal: AbortSignal) => Promise<R>;

/**
 * A controller that also aborts when `parent` does; `done` unhooks it from `parent`. For work whose
 * long-lived objects (e.g. a registry client) must hold the signal before {@link mapLimit} starts.
 */
export function linkedController(
  parent: AbortSignal | undefined,
  listeners = 10,
): { readonly ac: AbortController; readonly done: () => void } {
  const ac = new AbortController();
  // Each running task may hand the signal to several requests (Node's http client listens until the
  // request closes): more than Node's default 10 listeners is expected here, not a leak.
  setMaxListeners(Math.max(10, 4 * listeners), ac.signal);
  const onAbort = () => ac.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  parent?.addEventListener('abort', onAbort, { once: true });
  return { ac, done: () => parent?.removeEventListener('abort', onAbort) };
}

/** Runs `fn` over `items` with at most `limit` in flight (see the module's rules on failure and cancellation). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: LimitedTask<T, R>,
  opts: LimitOptions = {},
): Promise<R[]> {
  const width = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  const { ac, done } = linkedController(opts.signal, width);
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && !ac.signal.aborted && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i, ac.signal);
      } catch (e) {
        if (failure === undefined) {
          failure = { error: e };
          ac.abort(e);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: items.length === 0 ? 0 : width }, worker));
  } finally {
    done();
  }
  if (failure !== undefined) throw failure.error;
  if (opts.signal?.aborted) throw opts.signal.reason;
  return out;
}

/** Runs every task with at most `limit` in flight; {@link mapLimit} over thunks. */
export function runLimited<R>(
  tasks: readonly ((signal: AbortSignal) => Promise<R>)[],
  limit: number,
  opts: LimitOptions = {},
): Promise<R[]> {
  return mapLimit(tasks, limit, (t, _i, signal) => t(signal), opts);
}

/**
 * A gate for work that arrives one task at a time (e.g. detect's order walk): at most `limit` of the
 * functions given to it run at once; the others wait in arrival order. A failing task does not stop
 * the others (each caller gets its own result); when `signal` aborts, waiting tasks reject with its
 * reason without starting.
 */
export function limiter(limit: number, opts: LimitOptions = {}): <R>(f: () => Promise<R>) => Promise<R> {
  const max = Math.max(1, Math.floor(limit) || 1);
  let active = 0;
  const queue: { start: () => void; cancel: (e: unknown) => void }[] = [];
  opts.signal?.addEventListener(
    'abort',
    () => {
      for (const w of queue.splice(0)) w.cancel(opts.signal?.reason);
    },
    { once: true },
  );
  return async (f) => {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (active >= max) await new Promise<void>((start, cancel) => queue.push({ start, cancel }));
    else active++;
    try {
      return await f();
    } finally {
      // Hand the slot straight to the next waiter, so the bound holds.
      const next = queue.shift();
      if (next) next.start();
      else active--;
    }
  };
}
