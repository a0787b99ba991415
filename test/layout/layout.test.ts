import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/image/json.ts';
import * as layout from '../../src/image/layout/index.ts';
import { mutate } from '../../src/image/mutate.ts';
import { rebase } from '../../src/image/rebase.ts';
import { type Image, MediaType } from '../../src/image/types.ts';
import { isLifecycleError } from '../../src/platform/index.ts';
import { baseImage, cleanupFixtures, memoryLayerOf, run, tempDir } from './fixtures.ts';

async function drain(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function skopeoInspect(
  dir: string,
  tag?: string,
): Promise<{ Digest: string; Layers: string[]; Labels: Record<string, string> }> {
  const { stdout } = await run('skopeo', ['inspect', `oci:${dir}${tag ? `:${tag}` : ''}`]);
  return JSON.parse(stdout);
}

describe('OCI layout', () => {
  let tmp: { path: string; cleanup: () => Promise<void> };
  let base: Image;
  let app: Image;

  before(async () => {
    tmp = await tempDir('layout-test-');
    base = await baseImage('base-a');
    app = mutate(base, {
      addLayers: [
        { layer: await memoryLayerOf({ 'workspace/hello.txt': 'hello\n' }), history: { created_by: 'app' } },
      ],
      config: { labels: { 'io.buildpacks.lifecycle.metadata': '{"x":1}' }, workingDir: '/workspace' },
    });
  });
  after(async () => {
    await tmp.cleanup();
    await cleanupFixtures();
  });

  it('writes an image at the spec path that skopeo inspects and umoci unpacks', async () => {
    const dir = layout.layoutPath(tmp.path, 'registry.example/team/app:v1');
    assert.equal(dir, join(tmp.path, 'registry.example', 'team', 'app', 'v1'));
    const res = await layout.write(dir, app, { refName: 'v1' });
    assert.equal(res.digest, app.digest);
    // base layers come from src/layer blob files (hard-linked), the app layer from memory (copied)
    assert.deepEqual(res.blobs, { present: 0, linked: 2, written: 1, missing: 0 });
    assert.equal(res.identifier, `${dir}@${app.digest}`);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });

    const inspected = await skopeoInspect(dir, 'v1');
    assert.equal(inspected.Digest, app.digest);
    assert.deepEqual(
      inspected.Layers,
      app.manifest.layers.map((l) => l.digest),
    );
    assert.equal(inspected.Labels['io.buildpacks.lifecycle.metadata'], '{"x":1}');

    const bundle = join(tmp.path, 'bundle');
    await run('umoci', ['unpack', '--image', `${dir}:v1`, bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs', 'workspace', 'hello.txt'), 'utf8'), 'hello\n');
    assert.equal(await readFile(join(bundle, 'rootfs', 'etc', 'base-name'), 'utf8'), 'base-a\n');
    assert.ok((await stat(join(bundle, 'rootfs', 'bin', 'busybox'))).size > 100_000);
    const leftovers = (await readdir(dir)).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(leftovers, []);
  });

  it('reads back exactly what it wrote, layers verified', async () => {
    const dir = layout.layoutPath(tmp.path, 'registry.example/team/app:v1');
    const img = await layout.image(dir);
    assert.equal(img.digest, app.digest);
    assert.deepEqual(Buffer.from(img.rawConfig), Buffer.from(app.rawConfig));
    assert.equal(img.annotations[layout.REF_NAME_ANNOTATION], 'v1');
    for (const [i, l] of img.layers.entries()) {
      assert.equal(sha256Digest(await drain(await l.compressed())), l.digest);
      assert.equal(sha256Digest(await drain(await l.uncompressed())), app.config.rootfs.diff_ids[i]);
    }
    assert.equal((await layout.image(dir, 'v1')).digest, app.digest);
    assert.equal((await layout.image(dir, app.digest)).digest, app.digest);
  });

  it('reads a layout that skopeo wrote (recompressed, other digests)', async () => {
    const src = layout.layoutPath(tmp.path, 'registry.example/team/app:v1');
    const dst = join(tmp.path, 'by-skopeo');
    await run('skopeo', [
      'copy',
      '--dest-compress-format',
      'gzip',
      '--dest-compress-level',
      '1',
      `oci:${src}:v1`,
      `oci:${dst}:copied`,
    ]);
    const img = await layout.image(dst, { refName: 'copied' });
    assert.deepEqual(img.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
    assert.equal(img.config.config.WorkingDir, '/workspace');
    for (const [i, l] of img.layers.entries()) {
      assert.equal(sha256Digest(await drain(await l.uncompressed())), app.config.rootfs.diff_ids[i]);
    }
  });

  it('shares blobs: a second layout on the same filesystem hard-links them; rewrites skip them', async () => {
    const src = await layout.image(layout.layoutPath(tmp.path, 'registry.example/team/app:v1'));
    const dir = join(tmp.path, 'linked');
    const res = await layout.write(dir, src);
    assert.deepEqual(res.blobs, { present: 0, linked: 3, written: 0, missing: 0 });
    const [l0] = src.layers;
    const a = await stat(l0!.file);
    const b = await stat(layout.blobPath(dir, l0!.digest));
    assert.equal(a.ino, b.ino);
    const again = await layout.write(dir, src);
    assert.deepEqual(again.blobs, { present: 3, linked: 0, written: 0, missing: 0 });
  });

  it('equal inputs give equal digests (reproducible build)', async () => {
    const again = mutate(await baseImage('base-a'), {
      addLayers: [
        { layer: await memoryLayerOf({ 'workspace/hello.txt': 'hello\n' }), history: { created_by: 'app' } },
      ],
      config: { workingDir: '/workspace', labels: { 'io.buildpacks.lifecycle.metadata': '{"x":1}' } },
    });
    assert.equal(again.digest, app.digest);
  });

  it('replace mode keeps one index entry; append mode adds and replaces by ref name', async () => {
    const dir = join(tmp.path, 'multi');
    await layout.write(dir, base, { refName: 'base' });
    await layout.write(dir, app, { refName: 'app', mode: 'append' });
    let index = await layout.readIndex(dir);
    assert.deepEqual(
      index.manifests.map((d) => d.annotations?.[layout.REF_NAME_ANNOTATION]),
      ['base', 'app'],
    );
    await assert.rejects(
      layout.image(dir),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_LAYOUT_AMBIGUOUS',
    );
    assert.equal((await layout.image(dir, 'app')).digest, app.digest);
    await layout.write(dir, base, { refName: 'app', mode: 'append' });
    index = await layout.readIndex(dir);
    assert.equal(index.manifests.length, 2);
    await layout.write(dir, app, { refName: 'app' });
    index = await layout.readIndex(dir);
    assert.equal(index.manifests.length, 1);
    assert.equal(index.mediaType, MediaType.ociIndex);
  });

  it('a rebased image written to a layout runs through umoci with the new base', async () => {
    const newBase = await baseImage('base-b');
    const rebased = rebase(app, base.config.rootfs.diff_ids.at(-1)!, newBase);
    const dir = join(tmp.path, 'rebased');
    const res = await layout.write(dir, rebased, { refName: 'latest' });
    // busybox rootfs and base-b marker (linked), app layer (copied); the new base's layers come first
    assert.deepEqual(res.blobs, { present: 0, linked: 2, written: 1, missing: 0 });
    const bundle = join(tmp.path, 'bundle-rebased');
    await run('umoci', ['unpack', '--image', `${dir}:latest`, bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs', 'etc', 'base-name'), 'utf8'), 'base-b\n');
    assert.equal(await readFile(join(bundle, 'rootfs', 'workspace', 'hello.txt'), 'utf8'), 'hello\n');
  });

  it('resolves an image index entry for the requested platform', async () => {
    const dir = join(tmp.path, 'multi-arch');
    const arm = mutate(base, { config: { labels: { arch: 'arm64' } } });
    await layout.write(dir, base);
    await layout.write(dir, arm, { mode: 'append' });
    const child = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: base.digest,
          size: base.rawManifest.byteLength,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: arm.digest,
          size: arm.rawManifest.byteLength,
          platform: { os: 'linux', architecture: 'arm64' },
        },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(child));
    const digest = sha256Digest(bytes);
    await writeFile(layout.blobPath(dir, digest), bytes);
    await layout.writeFileAtomic(
      join(dir, 'index.json'),
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{ mediaType: MediaType.ociIndex, digest, size: bytes.byteLength }],
        }),
      ),
    );
    const amd = await layout.image(dir, { platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(amd.digest, base.digest);
    const a64 = await layout.image(dir, { platform: { os: 'linux', architecture: 'arm64' } });
    assert.equal(a64.digest, arm.digest);
    assert.equal(a64.config.config.Labels?.['arch'], 'arm64');
    await assert.rejects(
      layout.image(dir, { platform: { os: 'linux', architecture: 's390x' } }),
      (e: unknown) =>
        isLifecycleError(e) &&
        e.code === 'ERR_IMAGE_NOT_FOUND' &&
        /linux\/amd64, linux\/arm64/.test(e.message),
    );
  });

  it('reports a missing layout as ERR_IMAGE_NOT_FOUND and names the directory', async () => {
    const dir = join(tmp.path, 'nothing-here');
    await assert.rejects(
      layout.image(dir),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_IMAGE_NOT_FOUND' && e.message.includes(dir),
    );
  });

  it('detects a corrupt layer blob while streaming and a corrupt config when opening', async () => {
    const dir = join(tmp.path, 'corrupt');
    await layout.write(dir, app);
    const img = await layout.image(dir);
    const top = img.layers.at(-1)!;
    await appendFile(top.file, 'x');
    await assert.rejects(
      drain(await top.compressed()),
      (e: unknown) =>
        isLifecycleError(e) && (e.code === 'ERR_DIGEST_MISMATCH' || e.code === 'ERR_SIZE_MISMATCH'),
    );
    await appendFile(layout.blobPath(dir, img.manifest.config.digest), ' ');
    await assert.rejects(
      layout.image(dir),
      (e: unknown) =>
        isLifecycleError(e) && (e.code === 'ERR_DIGEST_MISMATCH' || e.code === 'ERR_SIZE_MISMATCH'),
    );
  });

  it('reads sparse layouts (no layer blobs) and fails only when a layer is streamed', async () => {
    const dir = join(tmp.path, 'sparse');
    const res = await layout.write(dir, app, { withoutLayers: true });
    assert.deepEqual(res.blobs, { present: 0, linked: 0, written: 0, missing: 0 });
    const img = await layout.image(dir);
    assert.equal(img.config.config.WorkingDir, '/workspace');
    await assert.rejects(
      img.layers[0]!.compressed(),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_LAYOUT_BLOB_MISSING',
    );
    assert.ok(!existsSync(img.layers[0]!.file));
    const copy = join(tmp.path, 'sparse-copy');
    await assert.rejects(
      layout.write(copy, img),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_LAYOUT_BLOB_MISSING',
    );
    const res2 = await layout.write(copy, img, { allowMissingLayers: true });
    assert.deepEqual(res2.blobs, { present: 0, linked: 0, written: 0, missing: 3 });
    assert.equal((await layout.image(copy)).digest, app.digest);
  });
});
