import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readReport } from '../../src/files/index.ts';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { lifecycleSnapshot, runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { BP, cleanupDist, exporter, type Fixture, fixture, ok, pushRunImage } from './helpers.ts';

// platform.md "exporter"; docs/reference-behaviour.md §6: export to a registry, then run the image.
describe('exporter to a registry', () => {
  let reg: RegistryHandle;
  let d: Dockerd;
  let run: { ref: string; image: Image };
  let fx: Fixture;
  let first: Image;

  const labels = (img: Image) => img.config.config.Labels ?? {};
  const lifecycleLabel = (img: Image) => JSON.parse(labels(img)['io.buildpacks.lifecycle.metadata'] ?? '{}');
  const uploads = () =>
    reg.requests().filter((r) => r.method === 'POST' && r.uri.includes('/blobs/uploads/'));
  const dockerRun = async (ref: string, args: string[] = []) => {
    await d.docker(['pull', '-q', ref]);
    return (await d.docker(['run', '--rm', '--network', 'none', ...args, ref])).stdout;
  };

  before(async () => {
    [reg, d] = await Promise.all([startRegistry(), startDockerd()]);
    run = await pushRunImage(reg.host);
    fx = await fixture();
    await fx.analyzed(run.ref, `${reg.host}/run:latest`);
  });
  after(async () => {
    await Promise.all([reg?.stop(), d?.stop(), fx?.cleanup()]);
    await cleanupFixtures();
    await cleanupDist();
  });

  it('exports an image that runs its default process, with labels, env, working dir and report', async () => {
    const r = ok(await exporter([...fx.flags(), `${reg.host}/app:latest`]));
    assert.match(r.stdout, new RegExp(`Adding layer '${BP.id}:hello'`));
    assert.match(r.stdout, /Saving .*app:latest\.\.\./);
    first = await remote.image(`${reg.host}/app:latest`);
    const report = await readReport(join(fx.layers, 'report.toml'));
    assert.deepEqual(report.image.tags, [`${reg.host}/app:latest`]);
    assert.equal(report.image.digest, first.digest);
    assert.equal(report.image.manifestSize, first.rawManifest.byteLength);

    const c = first.config.config;
    assert.deepEqual(c.Entrypoint, ['/cnb/process/web']);
    assert.equal(c.Cmd, undefined);
    assert.equal(c.WorkingDir, fx.app);
    assert.ok(c.Env?.includes(`CNB_LAYERS_DIR=${fx.layers}`));
    assert.ok(c.Env?.includes(`CNB_APP_DIR=${fx.app}`));
    assert.ok(c.Env?.includes('CNB_PLATFORM_API=0.12'));
    assert.ok(c.Env?.includes('PATH=/cnb/process:/cnb/lifecycle:/bin'));
    assert.equal(first.config.created, '1980-01-01T00:00:01Z');
    assert.equal(labels(first)['org.example.greeting'], 'hi');
    assert.equal(labels(first)['io.buildpacks.rebasable'], undefined, 'S-3');
    assert.equal(labels(first)['test.base'], 'run', 'run image labels are kept');
    assert.deepEqual(JSON.parse(labels(first)['io.buildpacks.project.metadata'] ?? ''), {});
    const build = JSON.parse(labels(first)['io.buildpacks.build.metadata'] ?? '');
    assert.deepEqual(build.buildpacks, [{ id: BP.id, version: BP.version }]);
    assert.deepEqual(build.processes[0], {
      type: 'web',
      command: ['hello'],
      args: ['world'],
      direct: true,
      buildpackID: BP.id,
    });
    // launcher.version is the lifecycle's own version; source the repository and build commit (D-276).
    const version = await runPhase('lifecycle', ['-version'], {}, { dir: await lifecycleSnapshot() });
    assert.equal(build.launcher.version, version.stdout.trim());
    assert.ok(build.launcher.source.git.repository, 'launcher.source.git.repository is set');
    const commit: string = build.launcher.source.git.commit;
    if (commit !== '') {
      assert.match(commit, /^[0-9a-f]{40}$/);
      execFileSync('git', ['-C', import.meta.dirname, 'cat-file', '-e', `${commit}^{commit}`]);
    }
    const lc = lifecycleLabel(first);
    const diffIDs = first.config.rootfs.diff_ids;
    const runDiffIDs = run.image.config.rootfs.diff_ids;
    assert.deepEqual(diffIDs.slice(0, runDiffIDs.length), runDiffIDs, 'run image layers preserved');
    assert.equal(lc.runImage.topLayer, runDiffIDs.at(-1));
    assert.equal(lc.runImage.reference, run.ref);
    assert.equal(lc.runImage.image, `${reg.host}/run:latest`);
    assert.deepEqual(lc.stack, { runImage: { image: `${reg.host}/run:latest` } });
    assert.equal(lc.buildpacks[0].key, BP.id);
    assert.deepEqual(lc.buildpacks[0].layers.hello.data, { version: '1.0' });
    assert.equal(lc.buildpacks[0].layers.hello.launch, true);
    assert.deepEqual(lc.buildpacks[0].store, { metadata: { runs: 1 } });
    // bp layer, app, launcher, config, process types
    assert.equal(diffIDs.length, runDiffIDs.length + 5);
    assert.equal(lc.buildpacks[0].layers.hello.sha, diffIDs[runDiffIDs.length]);
    assert.deepEqual(lc.app, [{ sha: diffIDs[runDiffIDs.length + 1] }]);
    assert.equal(lc.launcher.sha, diffIDs[runDiffIDs.length + 2]);
    assert.equal(lc.config.sha, diffIDs[runDiffIDs.length + 3]);
    const history = (first.config.history ?? []).slice(runDiffIDs.length).map((h) => h.created_by);
    assert.deepEqual(history, [
      `Layer: 'hello', Created by buildpack: ${BP.id}@${BP.version}`,
      'Application Layer',
      'Buildpacks Application Launcher',
      'Buildpacks Launcher Config',
      'Buildpacks Process Types',
    ]);
    assert.ok((first.config.history ?? []).every((h) => h.created === '1980-01-01T00:00:01Z'));

    const out = await dockerRun(`${reg.host}/app:latest`);
    assert.equal(out, `Hi world from ${fx.app}\n`);
    const worker = await dockerRun(`${reg.host}/app:latest`, ['--entrypoint', '/cnb/process/worker']);
    assert.equal(worker, 'message from the app\n');
  });

  it('re-exports unchanged inputs with the previous image: same digest, zero layer uploads', async () => {
    const label = first.config.config.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '';
    await fx.analyzed(run.ref, `${reg.host}/run:latest`, { ref: `${reg.host}/app@${first.digest}`, label });
    const before = uploads().length;
    const r = ok(await exporter([...fx.flags(), `${reg.host}/app:latest`]));
    assert.match(r.stdout, /Reusing layers from image/);
    assert.match(r.stdout, new RegExp(`Reusing layer '${BP.id}:hello'`));
    assert.match(r.stdout, /Reusing layer 'buildpacksio\/lifecycle:launcher'/);
    assert.match(r.stdout, /Reused 1\/1 app layer\(s\)/);
    assert.equal(uploads().length - before, 0, 'no blob uploads');
    const again = await remote.image(`${reg.host}/app:latest`);
    assert.equal(again.digest, first.digest, 'reproducible manifest digest');
  });

  it('reuses a layer the buildpack left only as <layer>.toml from the previous image by metadata', async () => {
    const { rm } = await import('node:fs/promises');
    await rm(join(fx.bpDir, 'hello'), { recursive: true });
    try {
      const r = ok(await exporter([...fx.flags(), `${reg.host}/app:bare`]));
      assert.match(r.stdout, new RegExp(`Reusing layer '${BP.id}:hello'`));
      const img = await remote.image(`${reg.host}/app:bare`);
      assert.equal(img.digest, first.digest);
      assert.equal(await dockerRun(`${reg.host}/app:bare`), `Hi world from ${fx.app}\n`);
    } finally {
      await fx.write(
        'layers/example_hello/hello/bin/hello',
        '#!/bin/sh\necho "$GREETING $1 from $(pwd)"\n',
        0o755,
      );
      await fx.write('layers/example_hello/hello/env/GREETING.default', 'Hi');
    }
  });
});
