import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAnalyzed, readReport, writeRun } from '../../src/files/index.ts';
import { remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import type { PhaseRun } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  AS_ROOT,
  BUILDPACKS,
  cleanupLifecycle,
  e2eLines,
  lifecycleDir,
  ORDER,
  ok,
  phase,
  pushRunImage,
  type Workspace,
  workspace,
} from './helpers.ts';

/**
 * tektoncd/catalog task/buildpacks-phases 0.3, step by step with the task's own arguments: its default
 * params substituted (CNB_RUN_IMAGE, CNB_CACHE_IMAGE, CNB_INSECURE_REGISTRIES, TAGS and SOURCE_SUBPATH
 * empty, so `-run-image=`, `-cache-image=`, `-insecure-registry=`, `-tag=` and `-app=<source>/`), and
 * the restore script's `-layers=${CNB_LAYERS_DIR}` empty since that step has no such variable
 * (docs/decisions.md D-270). Its mount points are this workspace's directories; what the builder image
 * would provide (`/cnb/buildpacks`, `/cnb/order.toml`, `/cnb/run.toml`, the `/layers` default, the
 * build user) comes as the image's env would, and the exporter gets `-launcher` (no /cnb/lifecycle here).
 */
describe('e2e: Tekton buildpacks-phases 0.3 step arguments, then a rebuild from the cache', () => {
  let reg: RegistryHandle;
  let ws: Workspace;
  let builderRef: string;
  const APP = () => `${reg.host}/tekton/app:latest`;
  const uidArgs = AS_ROOT ? ['-uid=2222', '-gid=3333'] : ['-uid=', '-gid='];

  before(async () => {
    [reg, ws] = await Promise.all([startRegistry(), workspace('e2e-tekton-')]);
    const run = await pushRunImage(reg.host, 'tekton/run');
    builderRef = (await pushRunImage(reg.host, 'tekton/builder')).name;
    await writeRun(join(ws.root, 'run.toml'), { images: [{ image: run.name, mirrors: [] }] });
  });
  after(async () => {
    await Promise.all([reg?.stop(), ws?.cleanup()]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  async function steps(): Promise<
    Record<'analyzer' | 'detector' | 'restorer' | 'builder' | 'exporter', PhaseRun>
  > {
    await ws.fresh();
    const L = ws.layers;
    const image = {
      CNB_BUILDPACKS_DIR: BUILDPACKS,
      CNB_ORDER_PATH: ORDER,
      CNB_RUN_PATH: join(ws.root, 'run.toml'),
    };
    const step = { ...ws.env(image), CNB_PLATFORM_API: '0.13', CNB_EXPERIMENTAL_MODE: 'silent' };
    const source = `${ws.app}/`;
    const analyze = ['-log-level=info', `-layers=${L}`, '-run-image=', '-cache-image=', ...uidArgs];
    analyze.push('-insecure-registry=', '-tag=', '-skip-layers=false', APP());
    const detect = ['-log-level=info', `-app=${source}`, `-group=${L}/group.toml`, `-plan=${L}/plan.toml`];
    detect.push(`-layers=${L}`, `-platform=${ws.platform}`);
    const restore = ['-log-level=info', `-build-image=${builderRef}`, `-group=${L}/group.toml`, '-layers='];
    restore.push(
      `-cache-dir=${ws.cache}`,
      '-cache-image=',
      ...uidArgs,
      '-insecure-registry=',
      '-skip-layers=false',
    );
    const restoreEnv = {
      ...step,
      CNB_LAYERS_DIR: L,
      CNB_LOG_LEVEL: 'info',
      CNB_BUILD_IMAGE: '',
      CNB_BUILDER_IMAGE: builderRef,
      CNB_CACHE_IMAGE: '',
      CNB_INSECURE_REGISTRIES: '',
      CNB_SKIP_LAYERS: 'false',
    };
    const exportArgs = ['-log-level=info', `-app=${source}`, `-layers=${L}`, `-group=${L}/group.toml`];
    exportArgs.push(
      `-cache-dir=${ws.cache}`,
      '-cache-image=',
      `-report=${L}/report.toml`,
      '-process-type=web',
    );
    exportArgs.push(
      ...uidArgs,
      '-insecure-registry=',
      '-launcher',
      join(await lifecycleDir(), 'launcher'),
      APP(),
    );
    return {
      analyzer: ok(await phase('analyzer', analyze, step), 'analyze'),
      detector: ok(await phase('detector', detect, step), 'detect'),
      restorer: ok(await phase('restorer', restore, restoreEnv), 'restore'),
      builder: ok(
        await phase('builder', [...detect.slice(0, 2), `-layers=${L}`, ...detect.slice(2, 4)], step),
        'build',
      ),
      exporter: ok(await phase('exporter', exportArgs, step), 'export'),
    };
  }

  it('every step succeeds with the empty values, and the image is published with its run image', async () => {
    const r = await steps();
    assert.doesNotMatch(r.analyzer.stderr + r.exporter.stderr, /invalid image reference/);
    const analyzed = await readAnalyzed(join(ws.layers, 'analyzed.toml'));
    assert.match(analyzed?.runImage?.reference ?? '', new RegExp(`^${reg.host}/tekton/run@sha256:`));
    assert.match(analyzed?.buildImage?.reference ?? '', new RegExp(`^${reg.host}/tekton/builder@sha256:`));
    const report = await readReport(join(ws.layers, 'report.toml'));
    assert.deepEqual(report.image.tags, [APP()], '-tag= adds no tag');
    const img = await remote.image(APP());
    assert.equal(report.image.digest, img.digest);
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/process/web']);
  });

  it('rebuild: the restore step with -layers= restores the cache the export step wrote', async () => {
    const r = await steps();
    assert.match(r.restorer.stdout, /Restoring data for "e2e\/runtime:deps" from cache/);
    assert.doesNotMatch(r.restorer.stdout + r.restorer.stderr, /refusing to extract/);
    assert.ok(e2eLines(r.builder).includes('e2e: runtime layer restored from cache'), r.builder.stdout);
    assert.match(r.exporter.stdout, /Reusing layer 'e2e\/runtime:runtime'/);
  });
});
