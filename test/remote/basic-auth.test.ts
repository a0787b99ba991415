import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { collect, type MemLayer, memImage, memLayer, skopeo } from './helpers.ts';

const USER = 'cnb-user';
const PASS = 's3cret-Pa55';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Asserts an error is a clear auth failure that leaks no credential. */
function authFailure(host: string, repo: string, code = 'ERR_REGISTRY_UNAUTHORIZED') {
  return (e: Error) => {
    assert.equal((e as { code?: string }).code, code);
    assert.ok(e.message.includes(`registry ${host}, repository ${repo}`), e.message);
    assert.match(e.message, /HTTP 401/);
    assert.match(e.message, /CNB_REGISTRY_AUTH or the docker config.json/);
    for (const secret of [PASS, b64(`${USER}:${PASS}`), 'wrong-pass', b64(`${USER}:wrong-pass`)]) {
      assert.ok(!e.message.includes(secret), 'no credential in the message');
      assert.ok(!String(e.stack).includes(secret), 'no credential in the stack');
    }
    return true;
  };
}

describe('remote: Basic auth (htpasswd registry)', () => {
  let reg: RegistryHandle;
  let tmp: string;
  let layer: MemLayer;
  const env = (extra: Record<string, string>) => ({
    HOME: join(tmp, 'nohome'),
    PATH: process.env['PATH'] ?? '',
    ...extra,
  });
  before(async () => {
    reg = await startRegistry({ auth: { user: USER, pass: PASS } });
    tmp = mkdtempSync(join(tmpdir(), 'basic-auth-'));
    layer = await memLayer({ 'auth.txt': 'secret layer\n' });
  });
  after(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('anonymous access fails with a clear 401 error; access checks say no', async () => {
    const img = memImage([layer]);
    await assert.rejects(
      remote.write(`${reg.host}/auth/app:v1`, img, { env: env({}) }),
      authFailure(reg.host, 'auth/app'),
    );
    await assert.rejects(remote.image(`${reg.host}/auth/app:v1`), authFailure(reg.host, 'auth/app'));
    const w = await remote.checkWriteAccess(`${reg.host}/auth/app:v1`, { env: env({}) });
    assert.equal(w.ok, false);
    assert.match(w.reason ?? '', /HTTP 401/);
    assert.equal((await remote.checkReadAccess(`${reg.host}/auth/app:v1`)).ok, false);
  });

  it('uses CNB_REGISTRY_AUTH (registry → Authorization header)', async () => {
    const e = env({ CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: `Basic ${b64(`${USER}:${PASS}`)}` }) });
    assert.deepEqual(await remote.checkWriteAccess(`${reg.host}/auth/app:v1`, { env: e }), { ok: true });
    assert.deepEqual(await remote.checkReadAccess(`${reg.host}/auth/app:v1`, { env: e }), { ok: true });
    const img = memImage([layer]);
    const res = await remote.write(`${reg.host}/auth/app:v1`, img, { env: e });
    assert.equal(res.digest, img.digest);
    const got = await remote.image(`${reg.host}/auth/app:v1`, { env: e });
    assert.deepEqual(await collect(await got.layers[0]!.uncompressed()), layer.tar);
    const inspect = JSON.parse(
      skopeo(
        'inspect',
        '--tls-verify=false',
        '--creds',
        `${USER}:${PASS}`,
        `docker://${reg.host}/auth/app:v1`,
      ),
    ) as { Digest: string };
    assert.equal(inspect.Digest, img.digest);
  });

  it('uses docker config.json auths from DOCKER_CONFIG (keys normalised)', async () => {
    const dir = join(tmp, 'dockercfg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [`http://${reg.host}/v2/`]: { auth: b64(`${USER}:${PASS}`) } } }),
    );
    const d = await remote.head(`${reg.host}/auth/app:v1`, { env: env({ DOCKER_CONFIG: dir }) });
    assert.ok(d !== undefined);
  });

  it('uses $HOME/.docker/config.json with a credential helper found on PATH (credHelpers and credsStore)', async () => {
    const home = join(tmp, 'home');
    const bin = join(tmp, 'bin');
    mkdirSync(join(home, '.docker'), { recursive: true });
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-cnbtest');
    writeFileSync(
      helper,
      `#!/bin/sh\nread server\nif [ "$1" = get ] && [ "$server" = "${reg.host}" ]; then\n` +
        `  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASS}"}' "$server"; exit 0\nfi\n` +
        'echo "credentials not found in native keychain"; exit 1\n',
    );
    chmodSync(helper, 0o755);
    const path = `${bin}:${process.env['PATH'] ?? ''}`;
    writeFileSync(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ credHelpers: { [reg.host]: 'cnbtest' } }),
    );
    assert.deepEqual(
      await remote.checkWriteAccess(`${reg.host}/auth/app:v1`, { env: { HOME: home, PATH: path } }),
      { ok: true },
    );
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'cnbtest' }));
    assert.ok(await remote.exists(`${reg.host}/auth/app:v1`, { env: { HOME: home, PATH: path } }));
    // a helper that is not installed is a clear error
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ credsStore: 'missing' }));
    await assert.rejects(
      remote.exists(`${reg.host}/auth/app:v1`, { env: { HOME: home, PATH: path } }),
      (e: Error) => {
        assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_CRED_HELPER');
        assert.match(
          e.message,
          /docker-credential-missing \(credsStore in .*config\.json\).*not found on PATH/,
        );
        return true;
      },
    );
  });

  it('CNB_REGISTRY_AUTH wins over docker config; wrong credentials fail without leaking them', async () => {
    const dir = join(tmp, 'dockercfg2');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { username: USER, password: PASS } } }),
    );
    const wrong = JSON.stringify({ [reg.host]: `Basic ${b64(`${USER}:wrong-pass`)}` });
    await assert.rejects(
      remote.image(`${reg.host}/auth/app:v1`, { env: env({ DOCKER_CONFIG: dir, CNB_REGISTRY_AUTH: wrong }) }),
      authFailure(reg.host, 'auth/app'),
    );
    // for another registry, the env has nothing and docker config answers
    const other = JSON.stringify({ 'other.example.com': `Basic ${b64('x:y')}` });
    assert.ok(
      await remote.exists(`${reg.host}/auth/app:v1`, {
        env: env({ DOCKER_CONFIG: dir, CNB_REGISTRY_AUTH: other }),
      }),
    );
  });
});
