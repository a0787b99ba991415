import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { describe, it } from 'node:test';
import { handshakes } from './tls-probe.ts';

/** A server on 127.0.0.1 for the duration of `fn`. */
async function listening<S extends ReturnType<typeof createTcpServer>>(
  server: S,
  fn: (host: string) => Promise<void>,
): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('handshakes (D-431): does a port speak TLS, before the verified ping', () => {
  it('rejects a plain-HTTP port with the TLS error', async () => {
    const http = createHttpServer((_req, res) => res.end('plain'));
    await listening(http, async (host) => {
      // An OpenSSL error (wrong version number): the ping reports it as the HTTPS attempt's TLS error.
      await assert.rejects(handshakes(host, 5000), (e: NodeJS.ErrnoException) => {
        assert.match(e.code ?? '', /^ERR_SSL_/, String(e));
        return true;
      });
    });
  });

  it('rejects a refused connection with ECONNREFUSED', async () => {
    const tcp = createTcpServer();
    let free = '';
    await listening(tcp, async (host) => {
      free = host;
    });
    await assert.rejects(handshakes(free, 5000), { code: 'ECONNREFUSED' });
  });

  it('times out on a port that never answers, and stops when aborted', async () => {
    const held: Array<{ destroy(): void }> = [];
    const silent = createTcpServer((s) => held.push(s));
    await listening(silent, async (host) => {
      await assert.rejects(handshakes(host, 100), { code: 'ETIMEDOUT' });
      const ac = new AbortController();
      const p = handshakes(host, 10_000, ac.signal);
      setTimeout(() => ac.abort(new Error('stopped')), 50);
      await assert.rejects(p, /stopped/);
      for (const s of held) s.destroy();
    });
  });
});
