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
  envKeychain,
  normalizeRegistryKey,
  parseChallenges,
  parseRegistryAuth,
  pickChallenge,
  resolveFromDockerConfig,
} from './index.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth: CNB_REGISTRY_AUTH (platform.md "Registry Authentication")', () => {
  const cases: [string, string, unknown][] = [
    [
      'Basic decoding to user:password',
      `Basic ${b64('u:p:x')}`,
      { kind: 'basic-encoded', auth: b64('u:p:x') },
    ],
    [
      'Basic that does not decode to user:password, as given',
      'Basic bm9jb2xvbg==',
      { kind: 'basic-encoded', auth: 'bm9jb2xvbg==' },
    ],
    [
      'Basic that is not base64, as given',
      'basic not base64!',
      { kind: 'basic-encoded', auth: 'not base64!' },
    ],
    ['Bearer', 'Bearer tok', { kind: 'bearer', token: 'tok' }],
    ['X-Identity', 'X-Identity refresh-1', { kind: 'identity-token', token: 'refresh-1' }],
    ['X-Identity, any case', 'x-identity refresh-2', { kind: 'identity-token', token: 'refresh-2' }],
    ['empty Basic: anonymous', 'Basic ', { kind: 'anonymous' }],
    ['unknown scheme', 'Digest abc', undefined],
    ['no space', 'Bearertok', undefined],
  ];
  for (const [name, header, want] of cases)
    it(name, () => assert.deepEqual(credentialFromHeader(header), want));

  it('maps registries to header values, keys normalised like the reference', () => {
    const m = parseRegistryAuth(
      JSON.stringify({ 'https://reg.io/v2/': 'Basic x', 'docker.io': 'Bearer tok' }),
    );
    assert.equal(m.get('reg.io'), 'Basic x');
    assert.equal(m.get('index.docker.io'), 'Bearer tok');
    assert.equal(parseRegistryAuth(undefined).size, 0);
    assert.equal(parseRegistryAuth('').size, 0);
  });
  it('rejects a broken variable at once, without echoing it', () => {
    for (const bad of ['{not json secret', '["secret"]', '{"r": 1}']) {
      assert.throws(
        () => parseRegistryAuth(bad),
        (e: Error) =>
          (e as { code?: string }).code === 'ERR_REGISTRY_AUTH_ENV' &&
          !e.message.includes('secret') &&
          /CNB_REGISTRY_AUTH/.test(e.message),
      );
    }
  });
  it('checks an entry only when its registry is used, naming the registry, never the value', async () => {
    const k = envKeychain({
      CNB_REGISTRY_AUTH: JSON.stringify({ 'bad.io': 'Digest secret-value', 'good.io': 'Bearer t' }),
    });
    assert.deepEqual(await k.resolve('good.io'), { kind: 'bearer', token: 't' });
    assert.deepEqual(await k.resolve('other.io'), { kind: 'anonymous' });
    await assert.rejects(k.resolve('bad.io'), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_AUTH_ENV');
      assert.match(e.message, /registry "bad\.io"/);
      assert.ok(!e.message.includes('secret-value'), e.message);
      return true;
    });
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
      assert.deepEqual(await k.resolve('a.io'), { kind: 'basic-encoded', auth: b64('env:1') });
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
