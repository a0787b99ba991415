import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Docker token service for the real registry's `auth: token` mode (the protocol of Docker Hub, GHCR,
 * Harbor…): it issues RS256 JWTs carrying the certificate in `x5c`, which the registry verifies against
 * its rootcertbundle. Anonymous callers get pull; the configured user (Basic) or refresh token gets
 * pull+push. It records the scopes asked for.
 */

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certPem: string;
  /** Each token request: who asked and for which scopes. */
  readonly requests: { user: string; scopes: string[]; method: string; authorization?: string }[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Starts the token service; `openssl` makes the signing certificate. */
export async function startTokenServer(
  user: string,
  pass: string,
  refreshToken: string,
): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'token-server-'));
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=cnb-test-token',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0)
    throw new Error(`openssl is needed for the token-auth tests: ${r.error?.message ?? r.stderr}`);
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const certDer = Buffer.from(
    certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''),
    'base64',
  ).toString('base64');
  const service = 'cnb-test-registry';
  const issuer = 'cnb-test-issuer';
  const requests: TokenServer['requests'] = [];

  const issue = (subject: string, scopes: string[], canPush: boolean) => {
    const access = scopes.map((s) => {
      const [type, name, actions] = [
        s.slice(0, s.indexOf(':')),
        s.slice(s.indexOf(':') + 1, s.lastIndexOf(':')),
        s.slice(s.lastIndexOf(':') + 1),
      ];
      const granted = actions.split(',').filter((a) => a === 'pull' || (a === 'push' && canPush));
      return { type, name, actions: granted };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub: subject,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      }),
    );
    const sig = b64url(sign('sha256', Buffer.from(`${header}.${claims}`), key));
    return `${header}.${claims}.${sig}`;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let who = 'anonymous';
      let ok = true;
      let scopes = url.searchParams.getAll('scope');
      const authz = req.headers.authorization;
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        scopes = form.getAll('scope');
        ok = form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === refreshToken;
        who = 'refresh-token';
      } else if (authz !== undefined) {
        const [u, p] = Buffer.from(authz.replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':');
        ok = u === user && p === pass;
        who = u ?? '';
      }
      requests.push({
        user: who,
        scopes,
        method: req.method ?? '',
        ...(authz === undefined ? {} : { authorization: authz }),
      });
      if (!ok) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
        return;
      }
      const token = issue(
        who,
        scopes.flatMap((s) => s.split(' ')),
        who !== 'anonymous',
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPem,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
