import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { staticKeychain } from '../../src/image/auth/index.ts';
import * as remote from '../../src/image/remote/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { collect, memImage, memLayer } from './helpers.ts';
import { startTokenServer, type TokenServer } from './token-server.ts';

const USER = 'tok-user';
const PASS = 'tok-pass';
const REFRESH = 'refresh-0123456789';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('remote: Bearer token auth (real registry in token mode)', () => {
  let reg: RegistryHandle;
  let tokens: TokenServer;
  before(async () => {
    tokens = await startTokenServer(USER, PASS, REFRESH);
    reg = await startRegistry({
      tokenAuth: {
        realm: tokens.realm,
        service: tokens.service,
        issuer: tokens.issuer,
        rootCertBundlePem: tokens.certPem,
      },
    });
  });
  after(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('pushes with push-scoped tokens from Basic credentials and pulls anonymously with pull scope', async () => {
    const env = { CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: `Basic ${b64(`${USER}:${PASS}`)}` }) };
    const layer = await memLayer({ 'tok.txt': 'token auth\n' });
    const img = memImage([layer], { label: 'token' });
    const res = await remote.write(`${reg.host}/tok/app:v1`, img, { env });
    assert.equal(res.digest, img.digest);
    const pushReq = tokens.requests.find((r) => r.user === USER);
    assert.deepEqual(pushReq?.scopes, ['repository:tok/app:pull,push']);

    const got = await remote.image(`${reg.host}/tok/app:v1`);
    assert.deepEqual(await collect(await got.layers[0]!.uncompressed()), layer.tar);
    assert.ok(
      tokens.requests.some((r) => r.user === 'anonymous' && r.scopes[0] === 'repository:tok/app:pull'),
    );
  });

  it('asks for pull on the source repository when mounting across repositories', async () => {
    const env = { CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: `Basic ${b64(`${USER}:${PASS}`)}` }) };
    const src = await remote.image(`${reg.host}/tok/app:v1`, { env });
    const stats = remote.createUploadStats();
    await remote.write(`${reg.host}/tok/copy:v1`, src, { env, stats });
    assert.equal(stats.blobsMounted, 2);
    assert.ok(
      tokens.requests.some(
        (r) => r.scopes.join(' ') === 'repository:tok/copy:pull,push repository:tok/app:pull',
      ),
    );
  });

  it('checks write access: anonymous tokens lack push, credentials have it', async () => {
    const anon = await remote.checkWriteAccess(`${reg.host}/tok/app:v1`);
    assert.equal(anon.ok, false);
    assert.match(
      anon.reason ?? '',
      new RegExp(`registry ${reg.host}, repository tok/app: start blob upload failed with HTTP 401`),
    );
    assert.deepEqual(await remote.checkReadAccess(`${reg.host}/tok/app:v1`), { ok: true });
    const keychain = staticKeychain({ [reg.host]: { kind: 'basic', username: USER, password: PASS } });
    assert.deepEqual(await remote.checkWriteAccess(`${reg.host}/tok/app:v1`, { keychain }), { ok: true });
  });

  it('exchanges an identity (refresh) token by POST, and rejects bad credentials clearly', async () => {
    const keychain = staticKeychain({ [reg.host]: { kind: 'identity-token', token: REFRESH } });
    assert.deepEqual(await remote.checkWriteAccess(`${reg.host}/tok/app:v1`, { keychain }), { ok: true });
    assert.ok(tokens.requests.some((r) => r.method === 'POST' && r.user === 'refresh-token'));
    const bad = staticKeychain({ [reg.host]: { kind: 'basic', username: USER, password: 'nope-nope' } });
    await assert.rejects(remote.image(`${reg.host}/tok/app:v1`, { keychain: bad }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNAUTHORIZED');
      assert.match(
        e.message,
        new RegExp(
          `registry ${reg.host}, repository tok/app: get a token \\(repository:tok/app:pull\\) from 127.0.0.1:\\d+ failed with HTTP 401`,
        ),
      );
      assert.ok(!e.message.includes('nope-nope'));
      return true;
    });
  });

  it('uses a Bearer header from CNB_REGISTRY_AUTH as the registry token', async () => {
    // get a real token from the service as a platform would, then hand it over
    const res = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:tok/app:pull`, {
      headers: { authorization: `Basic ${b64(`${USER}:${PASS}`)}` },
    });
    const { token } = (await res.json()) as { token: string };
    const env = { CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: `Bearer ${token}` }) };
    const n = tokens.requests.length;
    assert.ok(await remote.exists(`${reg.host}/tok/app:v1`, { env }));
    assert.equal(tokens.requests.length, n, 'no token request: the header is used as is');
  });

  it('CNB_REGISTRY_AUTH X-Identity: the identity token is exchanged by POST; other entries are not checked', async () => {
    const env = {
      CNB_REGISTRY_AUTH: JSON.stringify({
        [reg.host]: `X-Identity ${REFRESH}`,
        'unused.example': 'Digest nope',
      }),
    };
    const n = tokens.requests.length;
    const img = memImage([await memLayer({ 'xid.txt': 'identity\n' })], { label: 'xid' });
    assert.equal((await remote.write(`${reg.host}/tok/xid:v1`, img, { env })).digest, img.digest);
    const posts = tokens.requests.slice(n).filter((r) => r.method === 'POST');
    assert.ok(posts.length > 0 && posts.every((r) => r.user === 'refresh-token'));
    assert.deepEqual(posts[0]!.scopes, ['repository:tok/xid:pull,push']);
  });

  it('CNB_REGISTRY_AUTH Basic: the value is sent as given, decoded or not; a rejection names the registry only', async () => {
    const raw = 'opaque-value-not-base64';
    const env = { CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: `Basic ${raw}` }) };
    const n = tokens.requests.length;
    await assert.rejects(remote.image(`${reg.host}/tok/app:v1`, { env }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_UNAUTHORIZED');
      assert.match(e.message, new RegExp(`^registry ${reg.host}, repository tok/app: get a token`));
      assert.ok(!e.message.includes(raw), e.message);
      return true;
    });
    assert.equal(tokens.requests[n]?.authorization, `Basic ${raw}`);
  });

  it('CNB_REGISTRY_AUTH with an unsupported scheme fails only when that registry is used, naming it', async () => {
    const env = { CNB_REGISTRY_AUTH: JSON.stringify({ [reg.host]: 'Digest secret-digest' }) };
    await assert.rejects(remote.image(`${reg.host}/tok/app:v1`, { env }), (e: Error) => {
      assert.equal((e as { exitCode?: number }).exitCode, 3);
      assert.match(e.message, new RegExp(`registry "${reg.host}"`));
      assert.ok(!e.message.includes('secret-digest'));
      return true;
    });
  });
});
