import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as daemon from '../../src/image/daemon/index.ts';
import { sha256Digest } from '../../src/image/json.ts';
import * as layout from '../../src/image/layout/index.ts';
import { mutate } from '../../src/image/mutate.ts';
import { rebase } from '../../src/image/rebase.ts';
import type { Image } from '../../src/image/types.ts';
import { isLifecycleError } from '../../src/platform/index.ts';
import { baseImage, cleanupFixtures, memoryLayerOf, run, tempDir } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';

async function drain(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('docker daemon', () => {
  let d: Dockerd;
  let opts: { host: string; tmpDir: string };
  let tmp: { path: string; cleanup: () => Promise<void> };
  let baseA: Image;
  let app: Image;

  before(async () => {
    d = await startDockerd({ tcp: true });
    tmp = await tempDir('daemon-test-');
    opts = { host: d.host, tmpDir: tmp.path };
    baseA = await baseImage('base-a');
    app = mutate(baseA, {
      addLayers: [
        {
          layer: await memoryLayerOf({ 'workspace/hello.txt': 'hello from app\n' }),
          history: { created_by: 'app' },
        },
      ],
      config: {
        workingDir: '/workspace',
        labels: { 'io.buildpacks.lifecycle.metadata': '{"k":"v"}' },
        cmd: ['cat', 'hello.txt'],
      },
    });
  });
  after(async () => {
    await d?.stop();
    await tmp?.cleanup();
    await cleanupFixtures();
  });

  it('loads a base image that docker runs; the image ID is the config digest', async () => {
    const res = await daemon.write('test/base:a', baseA, opts);
    assert.equal(res.id, sha256Digest(baseA.rawConfig));
    assert.deepEqual(res.layers, { sent: 2, reused: 0 });
    assert.deepEqual(res.tags, ['index.docker.io/test/base:a']);
    const { stdout } = await d.docker([
      'run',
      '--rm',
      '--network',
      'none',
      'test/base:a',
      'cat',
      '/etc/base-name',
    ]);
    assert.equal(stdout, 'base-a\n');
  });

  it('sends only the layers the daemon lacks and tags every name', async () => {
    const res = await daemon.write('test/app:1', app, {
      ...opts,
      reuseFrom: ['test/base:a'],
      tags: ['test/app:latest', 'localhost:5000/x/app:2'],
    });
    assert.deepEqual(res.layers, { sent: 1, reused: 2 });
    const { stdout } = await d.docker(['run', '--rm', '--network', 'none', 'test/app:latest']);
    assert.equal(stdout, 'hello from app\n');
    const { stdout: ids } = await d.docker([
      'image',
      'inspect',
      '-f',
      '{{.Id}}',
      'test/app:1',
      'localhost:5000/x/app:2',
    ]);
    assert.deepEqual(ids.trim().split('\n'), [res.id, res.id]);
    // writing the same image again gives the same ID (reproducible)
    const again = await daemon.write('test/app:1', app, opts);
    assert.equal(again.id, res.id);
    assert.deepEqual(again.layers, { sent: 0, reused: 3 });
  });

  it('reads an image lazily: config from inspect, layer bytes through one docker save', async () => {
    const img = await daemon.image('test/app:1', opts);
    try {
      assert.equal(img.id, sha256Digest(app.rawConfig));
      assert.deepEqual(img.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
      assert.equal(img.config.config.Labels?.['io.buildpacks.lifecycle.metadata'], '{"k":"v"}');
      assert.equal(img.config.config.WorkingDir, '/workspace');
      assert.deepEqual(img.config.config.Cmd, ['cat', 'hello.txt']);
      assert.ok(img.repoTags.includes('test/app:1'));
      assert.equal(img.layers[0]?.size, -1);
      const top = img.layers.at(-1)!;
      assert.equal(sha256Digest(await drain(await top.uncompressed())), top.diffID);
    } finally {
      await img.dispose();
    }
  });

  it('saves exact bytes that go to an OCI layout skopeo reads', async () => {
    const saved = await daemon.save('test/app:1', opts);
    try {
      assert.equal(sha256Digest(saved.rawConfig), saved.id);
      const dir = join(tmp.path, 'from-daemon');
      const res = await layout.write(dir, mutate(saved, { mediaTypes: 'oci' }), { refName: 'latest' });
      assert.equal(res.blobs.linked, 3, 'layer tars are hard-linked from the save directory');
      const { stdout } = await run('skopeo', ['inspect', '--raw', `oci:${dir}:latest`]);
      assert.equal(JSON.parse(stdout).layers.length, 3);
      const back = await layout.image(dir);
      assert.deepEqual(back.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
    } finally {
      await saved.dispose();
    }
  });

  it('rebases a daemon image onto a new base: base layers reused, app layer from the old image', async () => {
    const baseB = await baseImage('base-b');
    await daemon.write('test/base:b', baseB, opts);
    const orig = await daemon.image('test/app:1', opts);
    const newBase = await daemon.image('test/base:b', opts);
    try {
      const oldTop = baseA.config.rootfs.diff_ids.at(-1)!;
      const rebased = rebase(orig, oldTop, newBase, { config: { labels: { rebased: 'yes' } } });
      const res = await daemon.write('test/app:rebased', rebased, opts);
      assert.deepEqual(res.layers, { sent: 1, reused: 2 });
      const { stdout } = await d.docker([
        'run',
        '--rm',
        '--network',
        'none',
        'test/app:rebased',
        'sh',
        '-c',
        'cat /etc/base-name hello.txt',
      ]);
      assert.equal(stdout, 'base-b\nhello from app\n');
      const { stdout: label } = await d.docker([
        'image',
        'inspect',
        '-f',
        '{{index .Config.Labels "rebased"}}',
        'test/app:rebased',
      ]);
      assert.equal(label.trim(), 'yes');
    } finally {
      await orig.dispose();
      await newBase.dispose();
    }
  });

  it('tags and inspects; a missing image is ERR_IMAGE_NOT_FOUND naming the daemon', async () => {
    await daemon.tag('test/base:a', 'test/tagged:t1', opts);
    assert.equal((await daemon.inspect('test/tagged:t1', opts))?.Id, sha256Digest(baseA.rawConfig));
    assert.equal(await daemon.inspect('test/nope:1', opts), undefined);
    await assert.rejects(
      daemon.image('test/nope:1', opts),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_IMAGE_NOT_FOUND' && e.message.includes(d.host),
    );
    await assert.rejects(daemon.write(`test/app@sha256:${'0'.repeat(64)}`, app, opts), /needs name:tag/);
  });

  it('interoperates with skopeo: daemon → layout we read, our layout → daemon we read', async () => {
    const fromDaemon = join(tmp.path, 'skopeo-from-daemon');
    await run('skopeo', [
      'copy',
      '--src-daemon-host',
      d.host,
      'docker-daemon:test/app:1',
      `oci:${fromDaemon}:app`,
    ]);
    const img = await layout.image(fromDaemon, 'app');
    assert.deepEqual(img.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
    assert.equal(
      sha256Digest(await drain(await img.layers.at(-1)!.uncompressed())),
      app.config.rootfs.diff_ids.at(-1),
    );

    const ours = join(tmp.path, 'ours-for-skopeo');
    await layout.write(ours, app, { refName: 'app' });
    await run('skopeo', [
      'copy',
      '--dest-daemon-host',
      d.host,
      `oci:${ours}:app`,
      'docker-daemon:test/from-skopeo:1',
    ]);
    const back = await daemon.image('test/from-skopeo:1', opts);
    assert.deepEqual(back.config.rootfs.diff_ids, app.config.rootfs.diff_ids);
    const { stdout } = await d.docker(['run', '--rm', '--network', 'none', 'test/from-skopeo:1']);
    assert.equal(stdout, 'hello from app\n');
  });

  it('retries with every layer when the daemon lacks a layer it was said to have', async () => {
    // fault injection (the load itself goes to the real daemon): inspect of "test/liar:1" claims
    // the daemon holds all layers of a new image, so the first load sends only placeholders
    const fresh = mutate(baseA, { addLayers: [await memoryLayerOf({ 'fresh.txt': `${Date.now()}\n` })] });
    class Liar extends daemon.DockerEngine {
      override async inspectImage(name: string, signal?: AbortSignal) {
        if (name === 'test/liar:1')
          return { Id: 'sha256:liar', RootFS: { Type: 'layers', Layers: fresh.config.rootfs.diff_ids } };
        return super.inspectImage(name, signal);
      }
    }
    const engine = new Liar(d.host);
    try {
      const res = await daemon.write('test/fresh:1', fresh, { engine, reuseFrom: ['test/liar:1'] });
      assert.equal(res.id, sha256Digest(fresh.rawConfig));
      assert.equal(res.layers.sent, 3);
      const { stdout } = await d.docker([
        'run',
        '--rm',
        '--network',
        'none',
        'test/fresh:1',
        'cat',
        '/etc/base-name',
      ]);
      assert.equal(stdout, 'base-a\n');
    } finally {
      engine.close();
    }
  });

  it('reads images with a repeated layer (docker save links the copies)', async () => {
    const twice = await memoryLayerOf({ 'twice.txt': 'same bytes\n' });
    const img = mutate(baseA, { addLayers: [twice, await memoryLayerOf({ 'between.txt': 'x' }), twice] });
    const res = await daemon.write('test/twice:1', img, { ...opts, reuseFrom: ['test/base:a'] });
    assert.equal(res.layers.sent, 2, 'the repeated blob is sent once');
    const saved = await daemon.save('test/twice:1', opts);
    try {
      assert.deepEqual(saved.config.rootfs.diff_ids, img.config.rootfs.diff_ids);
      for (const l of saved.layers) assert.equal(sha256Digest(await drain(await l.uncompressed())), l.diffID);
    } finally {
      await saved.dispose();
    }
  });

  it('talks to the daemon over tcp too', async () => {
    const host = d.tcpHost!;
    const img = await daemon.image('test/app:1', { host, tmpDir: tmp.path });
    try {
      const top = img.layers.at(-1)!;
      assert.equal(sha256Digest(await drain(await top.uncompressed())), top.diffID);
      const res = await daemon.write('test/app:tcp', mutate(img, { config: { labels: { via: 'tcp' } } }), {
        host,
      });
      assert.deepEqual(res.layers, { sent: 0, reused: 3 });
    } finally {
      await img.dispose();
    }
  });

  it('reports an unreachable daemon clearly', async () => {
    const host = `unix://${join(tmp.path, 'no.sock')}`;
    await assert.rejects(
      daemon.image('test/base:a', { host }),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_DOCKER_UNREACHABLE' && e.message.includes(host),
    );
  });
});
