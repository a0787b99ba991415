import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryErrorDetail } from './errors.ts';
import { selectPlatform } from './image.ts';
import { isLocalRegistry, schemesFor } from './ping.ts';
import { backoffDelay } from './retry.ts';

describe('remote: scheme selection (go-containerregistry convention)', () => {
  it('allows plain HTTP for loopback and RFC1918 only', () => {
    for (const r of [
      'localhost:5000',
      '127.0.0.1:5000',
      '[::1]:5000',
      '10.1.2.3',
      '172.16.0.1:443',
      '172.31.255.255',
      '192.168.1.10:5000',
    ]) {
      assert.equal(isLocalRegistry(r), true, r);
    }
    for (const r of ['172.32.0.1', '11.0.0.1', 'gcr.io', 'index.docker.io', 'my.local:5000', '192.169.0.1']) {
      assert.equal(isLocalRegistry(r), false, r);
    }
    assert.deepEqual(schemesFor('gcr.io', new Set()), { schemes: ['https'], insecureTLS: false });
    assert.deepEqual(schemesFor('127.0.0.1:5000', new Set()), {
      schemes: ['https', 'http'],
      insecureTLS: false,
    });
    assert.deepEqual(schemesFor('reg.corp:5000', new Set(['reg.corp:5000'])), {
      schemes: ['https', 'http'],
      insecureTLS: true,
    });
  });
});

describe('remote: helpers', () => {
  it('backs off exponentially, capped, honouring Retry-After', () => {
    const p = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.ok(backoffDelay(p, 1) >= 80 && backoffDelay(p, 1) <= 120);
    assert.ok(backoffDelay(p, 3) >= 320 && backoffDelay(p, 3) <= 480);
    assert.equal(backoffDelay(p, 10), 1000);
    assert.equal(backoffDelay(p, 1, '0'), 0);
    assert.equal(backoffDelay(p, 1, '30'), 1000);
  });
  it('extracts OCI error codes', () => {
    assert.equal(
      registryErrorDetail(JSON.stringify({ errors: [{ code: 'DENIED', message: 'no' }, { code: 'X' }] })),
      'DENIED: no; X',
    );
    assert.equal(registryErrorDetail('<html>'), '');
  });
  it('selects platforms from an index', () => {
    const m = (os: string, architecture: string, variant?: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `${os}-${architecture}-${variant ?? ''}`,
      size: 1,
      platform: { os, architecture, ...(variant === undefined ? {} : { variant }) },
    });
    const idx = {
      schemaVersion: 2 as const,
      manifests: [
        m('linux', 'arm', 'v6'),
        m('linux', 'arm', 'v7'),
        m('linux', 'amd64'),
        m('windows', 'amd64'),
      ],
    };
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'amd64' })?.digest, 'linux-amd64-');
    assert.equal(
      selectPlatform(idx, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest,
      'linux-arm-v7',
    );
    assert.equal(selectPlatform(idx, { os: 'linux', architecture: 'arm64' }), undefined);
  });
});
