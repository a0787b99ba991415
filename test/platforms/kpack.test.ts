import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../support/platform/index.ts';
import {
  APP,
  assertAppRuns,
  assertFirstBuild,
  assertLayersReused,
  assertRebuild,
  BUILDPACKS,
  ORDER,
  output,
  registryMetadata,
} from './checks.ts';
import { KPACK_APIS, pickPlatformApi } from './drivers/apis.ts';
import { kpackBuild, kpackCompletion, kpackPrepare } from './drivers/kpack.ts';
import { type Pod, pod } from './drivers/pod.ts';
import { rebase } from './drivers/rebaser.ts';

/**
 * kpack's flow on the real engine: its builder (the lifecycle image's last layer on the build image), its
 * five init containers as build_pod.go makes them, built twice (the second reusing layers and restoring
 * the cache) and run; then the rebaser in a container of the lifecycle image on that image.
 */

describe('kpack and the rebaser', { timeout: 1_800_000 }, () => {
  let w: World;
  const pods: Pod[] = [];
  const newPod = async (fsGroup?: number) => {
    const p = await pod(w.scratch, fsGroup);
    pods.push(p);
    return p;
  };
  before(async () => {
    w = await startWorld({ modulesDir: BUILDPACKS, order: ORDER.map((g) => [...g]), kpackBuilder: true });
  });
  after(async () => {
    for (const p of pods) await p.remove();
    await w?.stop();
  });

  const pull = (image: string) => w.dockerd.docker(['pull', '-q', image]);

  it("kpack: five init containers at kpack's Platform API, completion reads the report and labels", async () => {
    const platformApi = pickPlatformApi('kpack', KPACK_APIS, w.kpackBuilder ?? w.builder);
    const tags = [`${w.host}/kpack/app:latest`, `${w.host}/kpack/app:build-1`];
    const uid = 1000;
    const gid = 1000;
    // the cache volume (a PVC) outlives the build pods; every other volume is the pod's emptyDir
    const cachePod = await newPod(gid);
    const build = async (lastBuildImage?: string) => {
      const p = await newPod(gid);
      await kpackPrepare({ pod: p, world: w, uid, gid, app: APP });
      const runs = await kpackBuild({
        world: w,
        pod: p,
        cacheDir: await cachePod.volume('cache-dir'),
        tags,
        platformApi,
        uid,
        gid,
        sourceDateEpoch: 1_700_000_000,
        ...(lastBuildImage ? { lastBuildImage } : {}),
      });
      return { log: output(runs), completion: await kpackCompletion(w, p) };
    };
    const first = await build();
    assertFirstBuild(first.log);
    const c = first.completion;
    assert.deepEqual(c.tags, tags);
    assert.match(c.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(c.manifestSize > 0, 'report.toml [image] manifest-size');
    assert.equal(c.stackId, 'io.cnb-lifecycle-ts.stacks.bookworm');
    assert.equal(
      c.lifecycleVersion,
      w.release.descriptor.version,
      'launcher.version is the lifecycle version',
    );
    assert.equal(c.runImage, w.runA.ref);
    assert.deepEqual(
      c.buildpacks.map((b) => b.id),
      ['tests/runtime', 'tests/deps', 'tests/procfile', 'tests/greeting'],
    );
    const image = `${w.host}/kpack/app@${c.digest}`;
    const md1 = await registryMetadata(w, image);
    const second = await build(image);
    assertRebuild(second.log, { cache: true });
    const image2 = `${w.host}/kpack/app@${second.completion.digest}`;
    assertLayersReused(await registryMetadata(w, image2), md1, { cache: true });
    await pull(image2);
    await assertAppRuns(w, image2);
  });

  it('rebaser in a container of the lifecycle image: the kpack image moves to run:b and still runs', async () => {
    const image = `${w.host}/kpack/app:latest`;
    const p = await newPod();
    const before = await registryMetadata(w, image);
    // built at kpack's Platform 0.9, the image records no run image name (only `runImage.reference`), so
    // a rebase at 0.12 onto another image needs -force (platform.md "rebaser")
    const r = await rebase(w, p, { image, runImage: w.runB.name, platformApi: '0.12', force: true });
    const after = await registryMetadata(w, image);
    const runImage = after['runImage'] as { reference?: string };
    assert.equal(runImage.reference, w.runB.ref, `run image after rebase: ${JSON.stringify(after)}`);
    assert.notDeepEqual(before['runImage'], after['runImage']);
    assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
    await pull(image);
    const marker = await w.dockerd.docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'cat',
      image,
      '/etc/run-image',
    ]);
    assert.equal(marker.stdout, 'b\n');
    await assertAppRuns(w, image);
  });
});
