import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy in front of a real registry. Every request is forwarded unchanged (Host
 * included, so the registry's Location headers point back at the proxy) unless a rule matches, and every
 * request is logged with its body size — the way tests count uploaded bytes.
 */

export type FaultAction =
  /** Answer this status without forwarding (the request body is read first). */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  /** Destroy the connection before reading anything. */
  | { readonly kind: 'reset' }
  /** Forward, but destroy both connections after `bytes` request-body bytes passed (mid-upload reset). */
  | { readonly kind: 'reset-after'; readonly bytes: number }
  /** Forward, but cut the connection after `bytes` response-body bytes (mid-download reset). */
  | { readonly kind: 'cut-response'; readonly bytes: number }
  /**
   * Forward, but close the connection in order (FIN, no reset) after `bytes` response-body bytes, short
   * of the announced Content-Length (an early close).
   */
  | { readonly kind: 'close-response'; readonly bytes: number }
  /** Forward, but stop sending the response after `bytes` body bytes; close after `ms` (default 30 s). */
  | { readonly kind: 'stall-response'; readonly bytes: number; readonly ms?: number }
  /** Read the request, never answer; close after `ms` (default 30 s). */
  | { readonly kind: 'stall'; readonly ms?: number }
  /** Wait `ms`, then forward. */
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultRule {
  readonly method?: string;
  /** Substring or pattern the request path (with query) must match. */
  readonly path?: string | RegExp;
  readonly action: FaultAction;
  /** How many matching requests get the fault (default 1; bounded). */
  readonly times?: number;
  /** Let this many matching requests pass first (default 0). */
  readonly skip?: number;
}

export interface ProxyLogEntry {
  readonly method: string;
  readonly path: string;
  /** Status sent to the client; 0 when the connection was cut. */
  status: number;
  requestBytes: number;
  responseBytes: number;
  fault?: string;
  /** `performance.now()` when the request arrived and when its response finished (or the socket closed). */
  readonly start: number;
  end?: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT` — use it as the registry host. */
  readonly host: string;
  readonly log: ProxyLogEntry[];
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** Request-body bytes of blob upload requests (POST/PATCH/PUT under /blobs/uploads/). */
  uploadedBytes(): number;
  /** Requests matching method and path substring. */
  count(method: string, pathPart: string): number;
  /** Most requests matching method and path substring that were in flight at the same time. */
  maxInFlight(method: string, pathPart: string): number;
  stop(): Promise<void>;
}

interface LiveRule {
  readonly rule: FaultRule;
  remaining: number;
  skip: number;
}

const MAX_STALL_MS = 60_000;

function matches(rule: FaultRule, req: IncomingMessage): boolean {
  if (rule.method !== undefined && rule.method !== req.method) return false;
  const path = req.url ?? '';
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
}

/** Starts a proxy to `upstream` (`host:port`). */
export async function startFaultProxy(
  upstream: string,
  rules: readonly FaultRule[] = [],
): Promise<FaultProxy> {
  const live: LiveRule[] = [];
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const addRule = (rule: FaultRule) =>
    live.push({ rule, remaining: Math.min(rule.times ?? 1, 1000), skip: rule.skip ?? 0 });
  for (const r of rules) addRule(r);

  const pick = (req: IncomingMessage): FaultAction | undefined => {
    for (const l of live) {
      if (l.remaining <= 0 || !matches(l.rule, req)) continue;
      if (l.skip > 0) {
        l.skip--;
        continue;
      }
      l.remaining--;
      return l.rule.action;
    }
    return undefined;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyLogEntry,
    resetAfter?: number,
    cut?: { bytes: number; stallMs?: number; orderly?: boolean },
  ) => {
    const [h, p] = upstream.split(':');
    const up = http.request(
      { host: h, port: Number(p), method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        entry.status = ur.statusCode ?? 0;
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (cut === undefined) {
          ur.on('data', (c: Buffer) => {
            entry.responseBytes += c.length;
          });
          ur.pipe(res);
          return;
        }
        ur.on('data', (c: Buffer) => {
          if (entry.responseBytes >= cut.bytes) return;
          const part = c.subarray(0, cut.bytes - entry.responseBytes);
          entry.responseBytes += part.length;
          res.write(part);
          if (entry.responseBytes < cut.bytes) return;
          ur.destroy();
          if (cut.orderly === true) {
            req.socket.end();
            return;
          }
          if (cut.stallMs === undefined) {
            req.socket.destroy();
            return;
          }
          const t = setTimeout(
            () => {
              timers.delete(t);
              req.socket.destroy();
            },
            Math.min(cut.stallMs, MAX_STALL_MS),
          );
          timers.add(t);
        });
      },
    );
    up.on('error', () => {
      entry.status = 0;
      req.socket.destroy();
    });
    req.on('data', (c: Buffer) => {
      entry.requestBytes += c.length;
      if (resetAfter !== undefined && entry.requestBytes >= resetAfter) {
        entry.status = 0;
        up.destroy();
        req.socket.destroy();
      }
    });
    req.pipe(up);
  };

  const server = http.createServer((req, res) => {
    const entry: ProxyLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      requestBytes: 0,
      start: performance.now(),
      responseBytes: 0,
    };
    log.push(entry);
    const finish = () => {
      entry.end ??= performance.now();
    };
    res.on('finish', finish);
    res.on('close', finish);
    const action = pick(req);
    if (action !== undefined) entry.fault = action.kind;
    if (action === undefined) return forward(req, res, entry);
    switch (action.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-after':
        return forward(req, res, entry, action.bytes);
      case 'cut-response':
        return forward(req, res, entry, undefined, { bytes: action.bytes });
      case 'close-response':
        return forward(req, res, entry, undefined, { bytes: action.bytes, orderly: true });
      case 'stall-response':
        return forward(req, res, entry, undefined, { bytes: action.bytes, stallMs: action.ms ?? 30_000 });
      case 'delay': {
        const t = setTimeout(() => {
          timers.delete(t);
          forward(req, res, entry);
        }, action.ms);
        timers.add(t);
        return;
      }
      case 'stall': {
        req.on('data', (c: Buffer) => {
          entry.requestBytes += c.length;
        });
        const t = setTimeout(
          () => {
            timers.delete(t);
            req.socket.destroy();
          },
          Math.min(action.ms ?? 30_000, MAX_STALL_MS),
        );
        timers.add(t);
        return;
      }
      case 'status': {
        req.on('data', (c: Buffer) => {
          entry.requestBytes += c.length;
        });
        req.on('end', () => {
          entry.status = action.status;
          const body =
            action.body ??
            JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `injected ${action.status}` }] });
          res.writeHead(action.status, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(action.retryAfter === undefined ? {} : { 'retry-after': action.retryAfter }),
          });
          res.end(body);
        });
        return;
      }
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const host = `127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  return {
    host,
    log,
    addRule,
    clearRules: () => {
      live.length = 0;
    },
    uploadedBytes: () =>
      log
        .filter((e) => e.path.includes('/blobs/uploads/') && e.method !== 'DELETE')
        .reduce((a, e) => a + e.requestBytes, 0),
    count: (method, part) => log.filter((e) => e.method === method && e.path.includes(part)).length,
    maxInFlight: (method, part) => {
      const events = log
        .filter((e) => e.method === method && e.path.includes(part))
        .flatMap((e) => [
          [e.start, 1],
          [e.end ?? Number.POSITIVE_INFINITY, -1],
        ])
        .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
      let now = 0;
      let max = 0;
      for (const [, d] of events) {
        now += d!;
        max = Math.max(max, now);
      }
      return max;
    },
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
