import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as remote from '../../src/image/remote/index.ts';
import { MediaType } from '../../src/image/types.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { collect, memImage, memLayer, skopeo, writeLayout } from './helpers.ts';

describe('remote: images pushed by skopeo are readable', () => {
  let reg: RegistryHandle;
  let tmp: string;
  before(async () => {
    reg = await startRegistry();
    tmp = mkdtempSync(join(tmpdir(), 'skopeo-interop-'));
  });
  after(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads an OCI image skopeo copied from a hand-written layout', async () => {
    const layer = await memLayer({ 'hello.txt': 'hello from skopeo\n' });
    const img = memImage([layer], { label: 'skopeo' });
    const dir = join(tmp, 'oci1');
    writeLayout(dir, [{ image: img, blobs: [layer.blob] }], 'v1');
    skopeo('copy', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${reg.host}/skopeo/oci:v1`);
    const got = await remote.image(`${reg.host}/skopeo/oci:v1`);
    assert.equal(got.digest, img.digest, 'skopeo keeps OCI manifests byte for byte');
    assert.equal(got.config.config.Labels?.['test.label'], 'skopeo');
    assert.deepEqual(await collect(await got.layers[0]!.uncompressed()), layer.tar);
  });

  it('reads the Docker v2s2 conversion skopeo makes', async () => {
    const layer = await memLayer({ 'd.txt': 'docker format\n' });
    const img = memImage([layer], { label: 'v2s2' });
    const dir = join(tmp, 'oci2');
    writeLayout(dir, [{ image: img, blobs: [layer.blob] }], 'v1');
    skopeo(
      'copy',
      '--format',
      'v2s2',
      '--dest-tls-verify=false',
      `oci:${dir}:v1`,
      `docker://${reg.host}/skopeo/docker:v1`,
    );
    const got = await remote.image(`${reg.host}/skopeo/docker:v1`);
    assert.equal(got.manifest.mediaType, MediaType.dockerManifest);
    assert.equal(got.layers[0]?.mediaType, MediaType.dockerLayerGzip);
    assert.deepEqual(await collect(await got.layers[0]!.compressed()), layer.blob);
  });

  it('selects the linux/amd64 entry of an image index, and names the platforms when it is missing', async () => {
    const amdLayer = await memLayer({ 'arch.txt': 'amd64\n' });
    const armLayer = await memLayer({ 'arch.txt': 'arm64\n' });
    const amd = memImage([amdLayer], { label: 'amd64' });
    const arm = memImage([armLayer], { label: 'arm64' });
    const dir = join(tmp, 'oci3');
    const { indexDigest } = writeLayout(
      dir,
      [
        { image: arm, blobs: [armLayer.blob], platform: { os: 'linux', architecture: 'arm64' } },
        { image: amd, blobs: [amdLayer.blob], platform: { os: 'linux', architecture: 'amd64' } },
      ],
      'multi',
      true,
    );
    skopeo(
      'copy',
      '--all',
      '--dest-tls-verify=false',
      `oci:${dir}:multi`,
      `docker://${reg.host}/skopeo/multi:v1`,
    );
    const got = await remote.image(`${reg.host}/skopeo/multi:v1`);
    assert.equal(got.digest, amd.digest);
    assert.equal(got.index?.digest, indexDigest);
    assert.equal(got.config.config.Labels?.['test.label'], 'amd64');
    const armImg = await remote.image(`${reg.host}/skopeo/multi:v1`, {
      platform: { os: 'linux', architecture: 'arm64' },
    });
    assert.equal(armImg.digest, arm.digest);
    await assert.rejects(
      remote.image(`${reg.host}/skopeo/multi:v1`, { platform: { os: 'windows', architecture: 'amd64' } }),
      (e: Error) =>
        (e as { code?: string }).code === 'ERR_IMAGE_INVALID' &&
        e.message.includes('no windows/amd64 entry') &&
        e.message.includes('linux/arm64, linux/amd64') &&
        e.message.includes(reg.host),
    );
  });

  it('reports a missing image with registry, repository and status', async () => {
    await assert.rejects(remote.image(`${reg.host}/skopeo/none:v1`), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'ERR_REGISTRY_NOT_FOUND');
      assert.match(
        e.message,
        new RegExp(`registry ${reg.host}, repository skopeo/none: pull manifest v1 failed with HTTP 404`),
      );
      assert.match(e.message, /MANIFEST_UNKNOWN|NAME_UNKNOWN/);
      return true;
    });
  });
});
