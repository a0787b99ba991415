import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  credentialFromAuthEntry,
  credentialFromHeader,
  defaultKeychain,
  dockerConfigPath,
  normalizeRegistryKey,
  parseChallenges,
  parseRegistryAuth,
  pickChallenge,
  resolveFromDockerConfig,
} from './index.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth: CNB_REGISTRY_AUTH (platform.md "Registry Authentication")', () => {
  it('maps registries to Basic and Bearer credentials', () => {
    const m = parseRegistryAuth(
      JSON.stringify({ 'reg.io': `Basic ${b64('u:p:x')}`, 'docker.io': 'Bearer tok' }),
    );
    assert.deepEqual(m.get('reg.io'), { kind: 'basic', username: 'u', password: 'p:x' });
    assert.deepEqual(m.get('index.docker.io'), { kind: 'bearer', token: 'tok' });
    assert.equal(parseRegistryAuth(undefined).size, 0);
    assert.equal(parseRegistryAuth('').size, 0);
  });
  it('rejects bad values without echoing them', () => {
    for (const bad of ['{not json secret', '["secret"]', '{"r": 1}', '{"r": "Digest secret"}']) {
      assert.throws(
        () => parseRegistryAuth(bad),
        (e: Error) =>
          (e as { code?: string }).code === 'ERR_REGISTRY_AUTH_ENV' &&
          !e.message.includes('secret') &&
          /CNB_REGISTRY_AUTH/.test(e.message),
      );
    }
    assert.equal(credentialFromHeader('Basic bm9jb2xvbg=='), undefined);
  });
});

describe('auth: docker config.json', () => {
  it('locates the file from DOCKER_CONFIG, else HOME', () => {
    assert.equal(dockerConfigPath({ DOCKER_CONFIG: '/d', HOME: '/h' }), '/d/config.json');
    assert.equal(dockerConfigPath({ HOME: '/h' }), '/h/.docker/config.json');
    assert.equal(dockerConfigPath({}), undefined);
  });
  it('decodes auths entries', () => {
    assert.deepEqual(credentialFromAuthEntry({ auth: b64('a:b') }), {
      kind: 'basic',
      username: 'a',
      password: 'b',
    });
    assert.deepEqual(credentialFromAuthEntry({ username: 'a', password: 'b' }), {
      kind: 'basic',
      username: 'a',
      password: 'b',
    });
    assert.deepEqual(credentialFromAuthEntry({ identitytoken: 't' }), { kind: 'identity-token', token: 't' });
    assert.deepEqual(credentialFromAuthEntry({ registrytoken: 'r' }), { kind: 'bearer', token: 'r' });
    assert.deepEqual(credentialFromAuthEntry({}), { kind: 'anonymous' });
  });
  it('matches keys like docker (scheme/path ignored, Docker Hub v1 key)', async () => {
    const cfg = {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:x') },
        'http://reg.io:5000/v2/': { auth: b64('r:y') },
      },
    };
    assert.deepEqual(await resolveFromDockerConfig(cfg, 'index.docker.io', {}, 'c'), {
      kind: 'basic',
      username: 'hub',
      password: 'x',
    });
    assert.deepEqual(await resolveFromDockerConfig(cfg, 'reg.io:5000', {}, 'c'), {
      kind: 'basic',
      username: 'r',
      password: 'y',
    });
    assert.deepEqual(await resolveFromDockerConfig(cfg, 'other.io', {}, 'c'), { kind: 'anonymous' });
    assert.equal(normalizeRegistryKey('HTTPS://Registry-1.Docker.io/v2/'), 'index.docker.io');
  });
  it('defaultKeychain: env first, then config.json, then anonymous; a broken config.json is a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-unit-'));
    try {
      mkdirSync(join(dir, '.docker'));
      writeFileSync(
        join(dir, '.docker', 'config.json'),
        JSON.stringify({ auths: { 'a.io': { auth: b64('cfg:1') }, 'b.io': { auth: b64('cfg:2') } } }),
      );
      const k = defaultKeychain({
        HOME: dir,
        CNB_REGISTRY_AUTH: JSON.stringify({ 'a.io': `Basic ${b64('env:1')}` }),
      });
      assert.deepEqual(await k.resolve('a.io'), { kind: 'basic', username: 'env', password: '1' });
      assert.deepEqual(await k.resolve('b.io'), { kind: 'basic', username: 'cfg', password: '2' });
      assert.deepEqual(await k.resolve('c.io'), { kind: 'anonymous' });
      writeFileSync(join(dir, '.docker', 'config.json'), '{"auths": {"a.io": {"auth": "c2VjcmV0"}');
      await assert.rejects(
        defaultKeychain({ HOME: dir }).resolve('a.io'),
        (e: Error) =>
          /config\.json is not a valid JSON object/.test(e.message) && !e.message.includes('c2VjcmV0'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('auth: WWW-Authenticate challenges', () => {
  it('parses Bearer parameters with quotes and commas', () => {
    const c = pickChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(c, {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:a/b:pull,push',
      },
    });
  });
  it('parses several challenges and prefers Bearer', () => {
    const all = parseChallenges('Basic realm="r1", Bearer realm="https://t/x",service=s');
    assert.equal(all.length, 2);
    assert.equal(pickChallenge('Basic realm="r1", Bearer realm="https://t/x",service=s')?.scheme, 'bearer');
    assert.equal(pickChallenge('Basic realm="Registry Realm"')?.params['realm'], 'Registry Realm');
    assert.equal(pickChallenge(undefined), undefined);
    assert.equal(pickChallenge('Negotiate'), undefined);
  });
});
