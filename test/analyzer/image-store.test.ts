import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { daemon, type Image, remote } from '../../src/image/index.ts';
import { imageStore } from '../../src/phase/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { basicAuth, PASS, runImage, USER } from './helpers.ts';

/** The image store facade against a real registry and a real daemon. */
describe('imageStore (registry, daemon)', () => {
  let reg: RegistryHandle;
  let sec: RegistryHandle;
  let d: Dockerd;
  let img: Image;

  before(async () => {
    [reg, sec, d] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: { user: USER, pass: PASS } }),
      startDockerd(),
    ]);
    img = await runImage({ 'test.store': 'yes' });
  });
  after(async () => {
    await Promise.all([reg?.stop(), sec?.stop(), d?.stop()]);
    await cleanupFixtures();
  });

  it('registry: write to several tags (blobs once), read back, identifier <repo>@<digest>', async () => {
    const s = imageStore({ env: {} });
    assert.equal(s.kind, 'registry');
    assert.equal(await s.read(`${reg.host}/store/app:v1`), undefined, 'a missing image is undefined');
    const before = reg.requests().filter((r) => r.method === 'PUT' && r.uri.includes('/blobs/')).length;
    const w = await s.write([`${reg.host}/store/app:v1`, `${reg.host}/store/app:v2`], img);
    assert.equal(w.digest, img.digest);
    assert.equal(w.manifestSize, img.rawManifest.byteLength);
    assert.equal(w.identifier, `${reg.host}/store/app@${img.digest}`);
    const blobPuts =
      reg.requests().filter((r) => r.method === 'PUT' && r.uri.includes('/blobs/')).length - before;
    assert.equal(blobPuts, img.layers.length + 1, 'each blob (layers and config) uploaded once');
    for (const t of ['v1', 'v2']) {
      const r = await s.read(`${reg.host}/store/app:${t}`);
      assert.equal(r?.digest, img.digest);
      assert.equal(s.identifier(`${reg.host}/store/app:${t}`, r!), `${reg.host}/store/app@${img.digest}`);
    }
    await s.checkRead(`${reg.host}/store/app:v1`);
    await s.checkWrite(`${reg.host}/store/other:v1`);
    assert.equal((await s.canRead(`${reg.host}/store/missing:v1`)).ok, true, 'a missing image is readable');
  });

  it('registry with auth: clear errors without credentials, works with CNB_REGISTRY_AUTH', async () => {
    const anon = imageStore({ env: {} });
    await assert.rejects(anon.read(`${sec.host}/store/app:v1`), (e: Error) => {
      assert.match(e.message, new RegExp(`registry ${sec.host}, repository store/app`));
      assert.match(e.message, /HTTP 401/);
      return true;
    });
    await assert.rejects(anon.checkWrite(`${sec.host}/store/app:v1`), {
      exitCode: 32,
      message: new RegExp(`ensure registry read/write access to ${sec.host}/store/app:v1`),
    });
    await assert.rejects(anon.checkRead(`${sec.host}/store/app:v1`), {
      exitCode: 32,
      message: new RegExp(`ensure registry read access to ${sec.host}/store/app:v1`),
    });
    assert.equal((await anon.canRead(`${sec.host}/store/app:v1`)).ok, false);
    const authed = imageStore({ env: { CNB_REGISTRY_AUTH: JSON.stringify({ [sec.host]: basicAuth }) } });
    await authed.primeCredentials([`${sec.host}/store/app:v1`]);
    await authed.checkWrite(`${sec.host}/store/app:v1`);
    await authed.write([`${sec.host}/store/app:v1`], img);
    assert.equal((await authed.read(`${sec.host}/store/app:v1`))?.digest, img.digest);
  });

  it('registry: an unreachable registry is an error naming it', async () => {
    const s = imageStore({ env: {} });
    await assert.rejects(s.read('127.0.0.1:1/store/app:v1'), /127\.0\.0\.1:1/);
  });

  it('daemon: write with tags, read back, identifier is the image ID without sha256:', async () => {
    const s = imageStore({ daemon: true, env: {}, dockerHost: d.host });
    assert.equal(s.kind, 'daemon');
    assert.equal(await s.read('store/app:v1'), undefined);
    const w = await s.write(['store/app:v1', 'store/app:v2'], img);
    assert.match(w.imageId ?? '', /^[a-f0-9]{64}$/);
    assert.equal(w.identifier, w.imageId);
    const info = await daemon.inspect('store/app:v2', { host: d.host });
    assert.equal(info?.Id, `sha256:${w.imageId}`);
    const r = await s.read('store/app:v1');
    assert.ok(r);
    assert.equal(s.identifier('store/app:v1', r), w.imageId);
    assert.equal(r.config.config.Labels?.['test.store'], 'yes');
    await s.checkRead('anything');
    await s.checkWrite('anything');
  });

  it('registry → daemon → registry round trip keeps the layers', async () => {
    const fromReg = await remote.image(`${reg.host}/store/app:v1`);
    const s = imageStore({ daemon: true, env: {}, dockerHost: d.host });
    await s.write(['store/roundtrip:v1'], fromReg);
    const back = await s.read('store/roundtrip:v1');
    assert.deepEqual(back?.config.rootfs.diff_ids, img.config.rootfs.diff_ids);
  });
});
