import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { startWorld, type World } from '../support/platform/index.ts';
import {
  APP,
  assertAppRuns,
  assertBuildsTwiceAndRuns,
  BUILDPACKS,
  ORDER,
  output,
  registryMetadata,
} from './checks.ts';
import { KPACK_APIS, pickPlatformApi } from './drivers/apis.ts';
import { type KpackCompletion, kpackBuild, kpackCompletion, kpackPrepare } from './drivers/kpack.ts';
import { type Pod, pod } from './drivers/pod.ts';
import { rebase } from './drivers/rebaser.ts';
import { shipwrightBuild } from './drivers/shipwright.ts';
import { tektonCreator, tektonPhases } from './drivers/tekton.ts';

/**
 * The Kubernetes platforms' flows on the real engine, one world for all, each pod's containers as the
 * platform's source makes them: kpack's five init containers on kpack's own builder (the lifecycle
 * image's last layer on the build image) and the rebaser in the lifecycle image on kpack's image,
 * Tekton's buildpacks-phases 0.3 and buildpacks 0.6 tasks, Shipwright's buildpacks-v3 strategy; each
 * built twice (the rebuild reusing layers, and restoring the cache where the platform keeps one) and
 * its image run three ways.
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

  it("kpack: five init containers at kpack's Platform API, completion reads the report and labels", async () => {
    const platformApi = pickPlatformApi('kpack', KPACK_APIS, w.kpackBuilder ?? w.builder);
    assert.equal(platformApi, '0.9', "kpack's highest");
    const tags = [`${w.host}/kpack/app:latest`, `${w.host}/kpack/app:build-1`];
    const uid = 1000;
    const gid = 1000;
    // the cache volume (a PVC) outlives the build pods; every other volume is the pod's emptyDir
    const cachePod = await newPod(gid);
    const completions: KpackCompletion[] = [];
    let lastBuildImage: string | undefined;
    await assertBuildsTwiceAndRuns(
      w,
      async () => {
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
        const c = await kpackCompletion(w, p);
        completions.push(c);
        // the next Build's spec.lastBuild.image
        lastBuildImage = `${w.host}/kpack/app@${c.digest}`;
        return { log: output(runs), image: lastBuildImage };
      },
      { cache: true },
    );
    const [c] = completions;
    assert.ok(c);
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
    await w.dockerd.docker(['pull', '-q', image]);
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

  it('Tekton buildpacks-phases 0.3: its step args, empty values included, at the task Platform API 0.13', async () => {
    const cachePod = await newPod();
    const pods: Pod[] = [];
    await assertBuildsTwiceAndRuns(
      w,
      async () => {
        const p = await newPod();
        pods.push(p);
        await p.fill('source', APP, 1000, 1000);
        const r = await tektonPhases(w, p, cachePod, {
          APP_IMAGE: `${w.host}/tekton/app:phases`,
          CNB_BUILDER_IMAGE: w.builder.name,
        });
        return { log: output(r.runs), image: `${w.host}/tekton/app@${r.digest}` };
      },
      { cache: true },
    );
    // the restore step's -build-image=<builder>: recorded by digest, its manifest and config in the
    // kaniko cache the extender step would read (D-273, D-274)
    const p = pods[1];
    assert.ok(p);
    const analyzed = parse(await readFile(join(await p.volume('layers-dir'), 'analyzed.toml'), 'utf8')) as {
      'build-image'?: { reference?: string };
    };
    assert.equal(analyzed['build-image']?.reference, w.builder.ref);
    const layout = join(await p.volume('kaniko-dir'), 'cache', 'base', w.builder.digest);
    assert.ok((await stat(join(layout, 'index.json'))).isFile(), `${layout}/index.json`);
  });

  it('Tekton buildpacks 0.6: the creator step as 1000:1000 at the task Platform API 0.9', async () => {
    const cachePod = await newPod();
    await assertBuildsTwiceAndRuns(
      w,
      async () => {
        const p = await newPod();
        await p.fill('source', APP, 1000, 1000);
        const r = await tektonCreator(w, p, cachePod, {
          APP_IMAGE: `${w.host}/tekton/app:creator`,
          platformApi: '0.9',
        });
        return { log: output(r.runs), image: `${w.host}/tekton/app@${r.digest}` };
      },
      { cache: true },
    );
  });

  it('Shipwright buildpacks-v3: the strategy script as uid 1001 at Platform API 0.13', async () => {
    // the strategy keeps its cache under /tmp in the step container: a rebuild has the previous image
    // only (D-295)
    await assertBuildsTwiceAndRuns(
      w,
      async () => {
        const p = await newPod();
        await p.fill('source', APP, 1001, 1000);
        const r = await shipwrightBuild(w, p, {
          outputImage: `${w.host}/shipwright/app:latest`,
          platformApi: '0.13',
        });
        return { log: output([r.run]), image: `${w.host}/shipwright/app@${r.digest}` };
      },
      { cache: false },
    );
  });
});
