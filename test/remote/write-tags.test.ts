import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { memImage, memLayer } from './helpers.ts';

// D-381: one image under several names moves each blob once per repository, then one manifest per name.
describe('remote.writeTags: blobs once for all tags', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
  });
  beforeEach(() => {
    proxy.clearRules();
    proxy.log.length = 0;
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  const nineLayers = async (label: string) => {
    const layers = [];
    for (let i = 0; i < 9; i++) layers.push(await memLayer({ [`f${i}`]: `${label} layer ${i}` }));
    return memImage(layers, { label });
  };

  it('three tags of one repository: each of the 10 blobs uploaded once, three manifest PUTs', async () => {
    const img = await nineLayers('three-tags');
    const names = ['a', 'b', 'c'].map((t) => `${proxy.host}/tags/app:${t}`);
    const out = await remote.writeTags(names, img);
    assert.deepEqual(
      out.map((o) => o.ok && o.result.digest),
      names.map(() => img.digest),
    );
    // D-434: the repository did not exist (its tag list said NAME_UNKNOWN), so no blob is checked first.
    assert.equal(proxy.count('GET', '/v2/tags/app/tags/list'), 1);
    assert.equal(proxy.count('HEAD', '/blobs/sha256:'), 0);
    assert.equal(proxy.count('PUT', '/blobs/uploads/'), 10);
    assert.equal(proxy.count('PUT', '/manifests/'), 3);
    for (const n of names) assert.equal((await remote.head(n))?.digest, img.digest);
  });

  it('into a repository that exists, each blob is checked once and those there are not sent (D-434)', async () => {
    const img = await nineLayers('three-tags');
    const more = memImage([...img.layers, await memLayer({ extra: 'one more layer' })], { label: 'more' });
    proxy.log.length = 0;
    const out = await remote.writeTags([`${proxy.host}/tags/app:more`], more);
    assert.ok(out.every((o) => o.ok));
    assert.equal(proxy.count('HEAD', '/blobs/sha256:'), 11, 'ten layers and the config are checked');
    assert.equal(proxy.count('PUT', '/blobs/uploads/'), 2, 'only the new layer and the new config are sent');
    assert.equal((await remote.head(`${proxy.host}/tags/app:more`))?.digest, more.digest);
  });

  it('in a new repository a blob over 4 MiB is still checked first (D-434)', async () => {
    const big = await memLayer({ 'big.bin': randomBytes(5 << 20) });
    const img = memImage([big, await memLayer({ small: 'small layer' })], { label: 'big-in-new' });
    const out = await remote.writeTags([`${proxy.host}/tags/bignew:x`], img);
    assert.ok(out.every((o) => o.ok));
    const heads = proxy.log.filter((e) => e.method === 'HEAD' && e.path.includes('/blobs/sha256:'));
    assert.deepEqual(
      heads.map((e) => e.path.split('/blobs/')[1]),
      [big.digest],
      'only the big blob',
    );
  });

  it('a tag list answered otherwise than NAME_UNKNOWN (here a bare 404) keeps the checks (D-434)', async () => {
    proxy.addRule({ method: 'GET', path: '/tags/list', action: { kind: 'status', status: 404 } });
    const img = await nineLayers('bare-404');
    const out = await remote.writeTags([`${proxy.host}/tags/fresh:x`], img);
    assert.ok(out.every((o) => o.ok));
    assert.equal(
      proxy.count('HEAD', '/blobs/sha256:'),
      10,
      'a new repository, but the registry did not say so',
    );
  });

  it('a tag in another repository of the same registry mounts every blob from the first', async () => {
    const img = await nineLayers('cross-repo');
    const out = await remote.writeTags([`${proxy.host}/tags/one:x`, `${proxy.host}/tags/two:y`], img);
    assert.ok(out.every((o) => o.ok));
    assert.equal(proxy.count('PUT', '/blobs/uploads/'), 10, 'uploaded once, into the first repository');
    assert.equal(proxy.count('POST', '/v2/tags/two/blobs/uploads/?mount='), 10);
    assert.equal(proxy.count('PUT', '/manifests/'), 2);
    assert.equal((await remote.head(`${proxy.host}/tags/two:y`))?.digest, img.digest);
  });

  it('a bad name fails alone; a refused manifest fails only its tag', async () => {
    const img = await nineLayers('partial');
    proxy.addRule({ method: 'PUT', path: '/manifests/refused', action: { kind: 'status', status: 403 } });
    const names = [`${proxy.host}/tags/p:ok`, 'Not A Reference!', `${proxy.host}/tags/p:refused`];
    const out = await remote.writeTags(names, img);
    assert.deepEqual(
      out.map((o) => [o.name, o.ok]),
      names.map((n, i) => [n, i === 0]),
    );
    const bad = out[1];
    assert.ok(bad !== undefined && !bad.ok);
    assert.match(bad.cause, /Not A Reference!/);
    const refused = out[2];
    assert.ok(refused !== undefined && !refused.ok);
    assert.match(refused.cause, /tags\/p/);
    assert.equal((await remote.head(`${proxy.host}/tags/p:ok`))?.digest, img.digest);
  });
});
