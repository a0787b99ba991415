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
import { shipwrightBuild } from './drivers/shipwright.ts';
import { tektonCreator, tektonPhases } from './drivers/tekton.ts';

/**
 * The Kubernetes platforms' flows on the real engine, each pod's containers as the platform's source
 * makes them: kpack's five init containers, Tekton's buildpacks-phases 0.3 and buildpacks 0.6 tasks, and
 * Shipwright's buildpacks-v3 strategy; each built twice (the second build reusing layers, and restoring
 * the cache where the platform keeps one) and its image run.
 */

describe('Kubernetes platforms', { timeout: 1_800_000 }, () => {
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

  it('Tekton buildpacks-phases 0.3: its step args, empty values included', async () => {
    const image = `${w.host}/tekton/app:phases`;
    const cachePod = await newPod();
    const build = async () => {
      const p = await newPod();
      await p.fill('source', APP, 1000, 1000);
      return tektonPhases(w, p, cachePod, { APP_IMAGE: image, CNB_BUILDER_IMAGE: w.builder.name });
    };
    const first = await build();
    assertFirstBuild(output(first.runs));
    const md1 = await registryMetadata(w, `${w.host}/tekton/app@${first.digest}`);
    const second = await build();
    assertRebuild(output(second.runs), { cache: true });
    const ref = `${w.host}/tekton/app@${second.digest}`;
    assertLayersReused(await registryMetadata(w, ref), md1, { cache: true });
    await pull(ref);
    await assertAppRuns(w, ref);
  });

  it('Tekton buildpacks 0.6: the creator step as 1000:1000 at the task Platform API 0.9', async () => {
    const image = `${w.host}/tekton/app:creator`;
    const cachePod = await newPod();
    const build = async () => {
      const p = await newPod();
      await p.fill('source', APP, 1000, 1000);
      return tektonCreator(w, p, cachePod, { APP_IMAGE: image, platformApi: '0.9' });
    };
    const first = await build();
    assertFirstBuild(output(first.runs));
    const md1 = await registryMetadata(w, `${w.host}/tekton/app@${first.digest}`);
    const second = await build();
    assertRebuild(output(second.runs), { cache: true });
    const ref = `${w.host}/tekton/app@${second.digest}`;
    assertLayersReused(await registryMetadata(w, ref), md1, { cache: true });
    await pull(ref);
    await assertAppRuns(w, ref);
  });

  it('Shipwright buildpacks-v3: the strategy script as uid 1001 at Platform API 0.13', async () => {
    const image = `${w.host}/shipwright/app:latest`;
    const build = async () => {
      const p = await newPod();
      await p.fill('source', APP, 1001, 1000);
      return shipwrightBuild(w, p, { outputImage: image, platformApi: '0.13' });
    };
    const first = await build();
    assertFirstBuild(`${first.run.stdout}${first.run.stderr}`);
    const md1 = await registryMetadata(w, `${w.host}/shipwright/app@${first.digest}`);
    // the strategy keeps its cache under /tmp in the step container: a rebuild has the previous image only
    const second = await build();
    assertRebuild(`${second.run.stdout}${second.run.stderr}`, { cache: false });
    const ref = `${w.host}/shipwright/app@${second.digest}`;
    assertLayersReused(await registryMetadata(w, ref), md1, { cache: false });
    await pull(ref);
    await assertAppRuns(w, ref);
  });
});
