import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { handshakes } from '../../src/image/remote/tls-probe.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { memImage, memLayer } from './helpers.ts';

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${r.error?.message ?? r.stderr}`);
}

describe('remote: HTTPS registries (verified against a CA bundle, or insecure by opt-in)', () => {
  let reg: RegistryHandle;
  let tmp: string;
  let caFile: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tls-test-'));
    openssl(
      tmp,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=cnb-test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    openssl(
      tmp,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
    );
    writeFileSync(join(tmp, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      tmp,
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-out',
      'srv.pem',
    );
    caFile = join(tmp, 'ca.pem');
    reg = await startRegistry({
      tls: {
        certPem: readFileSync(join(tmp, 'srv.pem'), 'utf8'),
        keyPem: readFileSync(join(tmp, 'srv.key'), 'utf8'),
      },
    });
  });
  after(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('pushes and reads over verified TLS when the CA is trusted (SSL_CERT_FILE)', async () => {
    const img = memImage([await memLayer({ 'tls.txt': 'over tls\n' })], { label: 'tls' });
    const env = { SSL_CERT_FILE: caFile };
    const res = await remote.write(`${reg.host}/tls/app:v1`, img, { env });
    assert.equal(res.digest, img.digest);
    assert.equal((await remote.image(`${reg.host}/tls/app:v1`, { env })).digest, img.digest);
  });

  it('a local TLS registry completes the bare handshake, so the verified ping follows (D-431)', async () => {
    await handshakes(reg.host, 5000);
  });

  it('refuses an untrusted certificate with advice, unless the registry is insecure (-insecure-registry / CNB_INSECURE_REGISTRIES)', async () => {
    await assert.rejects(remote.exists(`${reg.host}/tls/app:v1`), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNREACHABLE');
      assert.ok(
        e.message.startsWith(
          `registry ${reg.host}, repository tls/app: check manifest v1 (GET /v2/) failed: cannot talk to https://`,
        ),
        e.message,
      );
      assert.match(e.message, /add it to CNB_INSECURE_REGISTRIES/);
      return true;
    });
    assert.ok(
      await remote.exists(`${reg.host}/tls/app:v1`, {
        insecureRegistries: ['other:5000', reg.host],
      }),
    );
  });
});
