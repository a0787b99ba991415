import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts a real registry for tests: Debian's `docker-registry` (CNCF Distribution 2.8) on 127.0.0.1 with
 * filesystem storage in a temp dir, optionally behind htpasswd (bcrypt) Basic auth or token auth.
 * A missing binary is an error, never a skip.
 */

export interface RegistryRequest {
  readonly method: string;
  readonly uri: string;
  readonly status: number;
}

export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the certificate whose key signs the tokens. */
  readonly rootCertBundlePem: string;
}

export interface StartRegistryOptions {
  /** htpasswd Basic auth with one user. */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Bearer token auth against an external token service. */
  readonly tokenAuth?: TokenAuthConfig;
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface RegistryHandle {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Temp dir holding config, storage (`storage/`) and the log. */
  readonly dir: string;
  /** Filesystem storage root (blobs under `docker/registry/v2/blobs/sha256/…/data`). */
  readonly storageDir: string;
  /** The registry's JSON log. */
  readonly logPath: string;
  /** The registry process (benchmarks read its CPU time from `/proc/<pid>/stat`). */
  readonly pid: number;
  /** Completed requests, parsed from the log ("response completed" lines). */
  requests(): RegistryRequest[];
  stop(): Promise<void>;
}

function requireTool(name: string, args: string[], pkg: string): void {
  const r = spawnSync(name, args, { stdio: 'ignore' });
  if (r.error !== undefined) {
    throw new Error(
      `${name} is not installed or not on PATH (${(r.error as NodeJS.ErrnoException).code}); install Debian's ${pkg} package — registry tests never skip`,
    );
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function configYaml(storage: string, port: number, auth: string, tls: string): string {
  return `version: 0.1
log:
  level: info
  formatter: json
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: cnb-lifecycle-test-secret
${tls}${auth}`;
}

function parseLog(path: string): RegistryRequest[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: RegistryRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"response completed"')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      out.push({
        method: String(j['http.request.method']),
        uri: String(j['http.request.uri']),
        status: Number(j['http.response.status']),
      });
    } catch {
      // partial line
    }
  }
  return out;
}

/** True when an HTTPS GET /v2/ (certificate not checked) gets an answer. */
function tlsAnswers(host: string): Promise<boolean> {
  const [h, p] = host.split(':');
  return new Promise((resolve) => {
    const req = httpsRequest(
      { host: h, port: Number(p), path: '/v2/', rejectUnauthorized: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 || res.statusCode === 401);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitReady(host: string, child: ChildProcess, logPath: string, tls: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; Date.now() < deadline; i++) {
    if (exited) break;
    try {
      if (tls) {
        if (await tlsAnswers(host)) return;
      } else {
        const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) return;
      }
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, Math.min(200, 20 * (i + 1))));
  }
  const tail = readFileSync(logPath, 'utf8').split('\n').slice(-10).join('\n');
  throw new Error(
    `docker-registry on ${host} did not answer /v2/ (${exited ? 'it exited' : 'timeout'}); log tail:\n${tail}`,
  );
}

/** Starts a registry and waits until `/v2/` answers. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RegistryHandle> {
  requireTool('docker-registry', ['--version'], 'docker-registry');
  const dir = mkdtempSync(join(tmpdir(), 'cnb-registry-'));
  const storageDir = join(dir, 'storage');
  let auth = '';
  if (opts.auth !== undefined) {
    requireTool('htpasswd', ['-nbB', 'probe', 'probe'], 'apache2-utils');
    const r = spawnSync('htpasswd', ['-nbB', opts.auth.user, opts.auth.pass], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), r.stdout);
    auth = `auth:\n  htpasswd:\n    realm: cnb-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (opts.tokenAuth !== undefined) {
    const t = opts.tokenAuth;
    writeFileSync(join(dir, 'token-root.pem'), t.rootCertBundlePem);
    auth =
      `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n` +
      `    rootcertbundle: ${join(dir, 'token-root.pem')}\n`;
  }
  let tls = '';
  if (opts.tls !== undefined) {
    writeFileSync(join(dir, 'tls.crt'), opts.tls.certPem);
    writeFileSync(join(dir, 'tls.key'), opts.tls.keyPem);
    tls = `  tls:\n    certificate: ${join(dir, 'tls.crt')}\n    key: ${join(dir, 'tls.key')}\n`;
  }
  const logPath = join(dir, 'registry.log');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    writeFileSync(join(dir, 'config.yml'), configYaml(storageDir, port, auth, tls));
    const fd = openSync(logPath, 'a');
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd] });
    try {
      await waitReady(host, child, logPath, opts.tls !== undefined);
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
      continue;
    }
    let stopped: Promise<void> | undefined;
    return {
      host,
      dir,
      storageDir,
      logPath,
      pid: child.pid ?? 0,
      requests: () => parseLog(logPath),
      stop: () => {
        stopped ??= new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }
        }).then(() => rmSync(dir, { recursive: true, force: true }));
        return stopped;
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
