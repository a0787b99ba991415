import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readReport } from '../../src/files/index.ts';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import type { PhaseRun } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  AS_ROOT,
  BUILDPACKS,
  blobUploads,
  cleanupLifecycle,
  dockerConfig,
  dockerRun,
  e2eLines,
  jsonLabel,
  lifecycleDir,
  ORDER,
  ok,
  parseEnv,
  phase,
  pushRunImage,
  type Workspace,
  workspace,
} from './helpers.ts';

// platform.md "Build" (analyze → detect → restore → build → export, each phase run by the platform) and
// "Launch"; docs/reference-behaviour.md §1 analyzer, §3 restorer, §5 builder, §6 exporter, §9 launcher, §11.
describe('e2e: the five phases to a registry, then docker run; a rebuild with the same cache', () => {
  let reg: RegistryHandle;
  let d: Dockerd;
  let ws: Workspace;
  let run: Awaited<ReturnType<typeof pushRunImage>>;
  let first: Image;
  let second: Image;
  const APP = () => `${reg.host}/e2e/app:latest`;

  type Runs = Record<'analyzer' | 'detector' | 'restorer' | 'builder' | 'exporter', PhaseRun>;
  interface Build extends Runs {
    readonly image: Image;
  }

  /**
   * The five phases as a platform runs them: fresh <app> and <layers>, the same <cache> dir every time;
   * `daemon`: `-daemon` for the analyzer and exporter, DOCKER_HOST set.
   */
  async function phases(w: Workspace, image: string, daemon = false): Promise<Runs> {
    await w.fresh();
    const env = w.env(daemon ? { DOCKER_HOST: d.host } : {});
    const D = daemon ? ['-daemon'] : [];
    const L = ['-layers', w.layers];
    const dirs = ['-app', w.app, ...L, '-platform', w.platform, '-buildpacks', BUILDPACKS];
    const analyzer = ok(
      await phase('analyzer', [...D, ...L, '-run-image', run.name, image], env),
      'analyzer',
    );
    const detector = ok(await phase('detector', [...dirs, '-order', ORDER], env), 'detector');
    const restorer = ok(await phase('restorer', [...L, '-cache-dir', w.cache], env), 'restorer');
    const builder = ok(await phase('builder', dirs, env), 'builder');
    const launcher = join(await lifecycleDir(), 'launcher');
    const exportArgs = [...D, '-app', w.app, ...L, '-cache-dir', w.cache, '-launcher', launcher, image];
    const exporter = ok(await phase('exporter', exportArgs, env), 'exporter');
    return { analyzer, detector, restorer, builder, exporter };
  }
  const build = async (): Promise<Build> => {
    const runs = await phases(ws, APP());
    return { ...runs, image: await remote.image(APP()) };
  };

  const layerSha = (img: Image, layer: string): string => {
    const lc = jsonLabel(img, 'io.buildpacks.lifecycle.metadata') as {
      buildpacks: { key: string; layers: Record<string, { sha: string }> }[];
    };
    const sha = lc.buildpacks.find((b) => b.key === 'e2e/runtime')?.layers[layer]?.sha;
    assert.ok(sha, `no ${layer} layer in the lifecycle metadata label`);
    return sha;
  };
  const layerDigests = (img: Image) => img.layers.map((l) => l.digest);

  before(async () => {
    [reg, d, ws] = await Promise.all([startRegistry(), startDockerd(), workspace('e2e-five-')]);
    run = await pushRunImage(reg.host);
  });
  after(async () => {
    await Promise.all([reg?.stop(), d?.stop(), ws?.cleanup()]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  it('first build: every phase succeeds, the image runs its processes with the launch env', async () => {
    const b = await build();
    assert.match(b.analyzer.stdout, /not found/, 'no previous image yet');
    assert.deepEqual(e2eLines(b.builder), [
      'e2e: runtime layer created',
      'e2e: deps not in cache',
      'e2e: version layer 1 created',
      `e2e: app build sees Hello, build! cwd=${ws.app}`,
    ]);
    for (const l of ['runtime', 'version'])
      assert.match(b.exporter.stdout, new RegExp(`Adding layer 'e2e/runtime:${l}'`));
    assert.doesNotMatch(b.exporter.stdout, /Adding layer 'e2e\/runtime:deps'/, 'cache-only layer');
    for (const l of ['runtime', 'deps'])
      assert.match(b.exporter.stdout, new RegExp(`Adding cache layer 'e2e/runtime:${l}'`));
    const report = await readReport(join(ws.layers, 'report.toml'));
    assert.equal(report.image.digest, b.image.digest);
    first = b.image;
    const runLayers = new Set(run.image.layers.map((l) => l.digest));
    const added = layerDigests(first).filter((dg) => !runLayers.has(dg));
    const uploaded = new Set(blobUploads(reg));
    assert.deepEqual(
      added.filter((dg) => !uploaded.has(dg)),
      [],
      'the registry log shows the upload of every added layer',
    );

    // platform.md "Launch" / §6 "Config, labels and env": entrypoint, working dir, env, labels.
    const c = first.config.config;
    assert.deepEqual(c.Entrypoint, ['/cnb/process/web']);
    assert.equal(c.WorkingDir, ws.app);
    assert.ok(c.Env?.includes(`CNB_LAYERS_DIR=${ws.layers}`), String(c.Env));
    assert.ok(c.Env?.includes(`CNB_APP_DIR=${ws.app}`), String(c.Env));
    assert.equal(c.Labels?.['org.example.e2e'], 'yes');

    // Default process: `web` with its args; exec.d ran (stderr) and set a var; env/ and env.launch/.
    const web = await dockerRun(d, APP());
    assert.equal(
      web.stdout,
      `app: Hello, app! mode=production execd=set-by-exec.d cwd=${ws.app} args=serve\n`,
    );
    assert.match(web.stderr, new RegExp(`exec\\.d: setup ran in ${ws.app}`));
    const inspected = await dockerConfig(d, APP());
    assert.deepEqual(inspected['Entrypoint'], ['/cnb/process/web']);
    assert.equal(inspected['WorkingDir'], ws.app);

    // A process by its entrypoint: default args, then user args replacing them (BA ≥ 0.9, §9).
    const hello = { opts: ['--entrypoint', '/cnb/process/hello'], pull: false };
    assert.equal((await dockerRun(d, APP(), hello)).stdout, 'Hello, world!\n');
    assert.equal((await dockerRun(d, APP(), { ...hello, cmd: ['there'] })).stdout, 'Hello, there!\n');
    // A process with its own working-dir.
    const where = await dockerRun(d, APP(), { opts: ['--entrypoint', '/cnb/process/where'], pull: false });
    const [cwd, path] = where.stdout.trimEnd().split('\n');
    assert.equal(cwd, `cwd=${ws.app}/sub`);
    // The image PATH starts /cnb/process:/cnb/lifecycle (D-80); the launcher removes both (D-103).
    assert.ok(c.Env?.includes('PATH=/cnb/process:/cnb/lifecycle:/bin'), String(c.Env));
    const parts = path?.replace(/^PATH=/, '').split(':') ?? [];
    assert.ok(parts.includes(`${ws.layers}/e2e_runtime/runtime/bin`), path);
    for (const gone of ['/cnb/process', '/cnb/lifecycle']) assert.ok(!parts.includes(gone), path);

    // The launch env of a direct user command (`launcher -- env`).
    const launcher = ['--entrypoint', '/cnb/lifecycle/launcher'];
    const envOut = await dockerRun(d, APP(), { opts: launcher, cmd: ['--', 'env'], pull: false });
    const env = parseEnv(envOut.stdout);
    assert.equal(env['GREETING'], 'Hello');
    assert.equal(env['RUNTIME_MODE'], 'production');
    assert.equal(env['EXECD_VAR'], 'set-by-exec.d');
    assert.ok(env['PATH']?.split(':').includes(`${ws.layers}/e2e_runtime/runtime/bin`), env['PATH']);
    assert.equal(env['CNB_LAYERS_DIR'], undefined, 'the launcher drops its own CNB_* vars');
    // `--entrypoint launcher` (found on the image PATH, as Paketo's docs use it): PATH without /cnb/*.
    const short = await dockerRun(d, APP(), {
      opts: ['--entrypoint', 'launcher'],
      cmd: ['--', 'env'],
      pull: false,
    });
    const shortPath = parseEnv(short.stdout)['PATH']?.split(':') ?? [];
    assert.ok(shortPath.includes(`${ws.layers}/e2e_runtime/runtime/bin`), short.stdout);
    for (const gone of ['/cnb/process', '/cnb/lifecycle']) assert.ok(!shortPath.includes(gone), short.stdout);

    // §0.8 and §6 "Layer tar contents": files the buildpacks made belong to the build user, on disk
    // and in the image.
    const user = AS_ROOT ? '2222:3333' : `${process.getuid?.()}:${process.getgid?.()}`;
    const st = await stat(join(ws.layers, 'e2e_runtime', 'runtime', 'bin', 'greet'));
    assert.equal(`${st.uid}:${st.gid}`, user);
    const ls = await dockerRun(d, APP(), {
      opts: launcher,
      cmd: ['--', 'ls', '-ln', `${ws.layers}/e2e_runtime/runtime/bin/greet`],
      pull: false,
    });
    const [, , uid, gid] = ls.stdout.trim().split(/\s+/);
    assert.equal(`${uid}:${gid}`, user, ls.stdout);
  });

  it('rebuild: cache layers and store.toml are restored, unchanged launch layers are reused without upload', async () => {
    assert.ok(first, 'needs the first build');
    const before = blobUploads(reg).length;
    const b = await build();
    // §3: data of cache=true layers from the cache, metadata of the launch-only layer from the app image.
    assert.match(b.restorer.stdout, /Restoring data for "e2e\/runtime:runtime" from cache/);
    assert.match(b.restorer.stdout, /Restoring data for "e2e\/runtime:deps" from cache/);
    assert.match(b.restorer.stdout, /Restoring metadata for "e2e\/runtime:version" from app image/);
    assert.deepEqual(e2eLines(b.builder), [
      'e2e: store.toml restored: builds = 1',
      'e2e: runtime layer restored from cache',
      'e2e: deps restored from cache: build 1 version 1',
      "e2e: version layer 1 unchanged, keeping the previous image's layer",
      `e2e: app build sees Hello, build! cwd=${ws.app}`,
    ]);
    for (const l of ['runtime', 'version'])
      assert.match(b.exporter.stdout, new RegExp(`Reusing layer 'e2e/runtime:${l}'`));
    assert.match(b.exporter.stdout, /Reusing cache layer 'e2e\/runtime:runtime'/);
    assert.match(b.exporter.stdout, /Adding cache layer 'e2e\/runtime:deps'/, 'deps changed (build 2)');
    second = b.image;

    // Same layers (diffIDs and blobs); only the config changed (store.toml builds = 2 in the label).
    assert.deepEqual(second.config.rootfs.diff_ids, first.config.rootfs.diff_ids);
    assert.deepEqual(layerDigests(second), layerDigests(first));
    const uploaded = blobUploads(reg).slice(before);
    const layers = new Set(layerDigests(second));
    assert.deepEqual(
      uploaded.filter((u) => layers.has(u)),
      [],
      `no layer blob is uploaded again (uploads: ${uploaded})`,
    );
    const lc = jsonLabel(second, 'io.buildpacks.lifecycle.metadata') as {
      buildpacks: { key: string; store?: { metadata?: { builds?: number } } }[];
    };
    assert.equal(lc.buildpacks.find((x) => x.key === 'e2e/runtime')?.store?.metadata?.builds, 2);
    const web = await dockerRun(d, APP());
    assert.match(web.stdout, /^app: Hello, app! mode=production execd=set-by-exec\.d/);
  });

  it('rebuild with a changed input: only the changed launch layer is rebuilt and uploaded', async () => {
    assert.ok(second, 'needs the second build');
    await ws.platformEnv('E2E_VERSION', '2');
    const before = blobUploads(reg).length;
    const b = await build();
    assert.ok(e2eLines(b.builder).includes('e2e: version layer 2 created'), b.builder.stdout);
    assert.match(b.exporter.stdout, /Adding layer 'e2e\/runtime:version'/);
    assert.match(b.exporter.stdout, /Reusing layer 'e2e\/runtime:runtime'/);
    const third = b.image;
    const changed = third.config.rootfs.diff_ids.filter((id) => !second.config.rootfs.diff_ids.includes(id));
    assert.deepEqual(changed, [layerSha(third, 'version')], 'exactly the version layer changed');
    assert.notEqual(layerSha(third, 'version'), layerSha(second, 'version'));
    assert.equal(layerSha(third, 'runtime'), layerSha(second, 'runtime'));
    const layers = new Set(layerDigests(third));
    const uploaded = blobUploads(reg)
      .slice(before)
      .filter((u) => layers.has(u));
    const newBlobs = layerDigests(third).filter((dg) => !layerDigests(second).includes(dg));
    assert.deepEqual(uploaded, newBlobs, 'one layer blob uploaded: the changed one');
    assert.equal(newBlobs.length, 1);
    const out = await dockerRun(d, APP(), {
      opts: ['--entrypoint', '/cnb/lifecycle/launcher'],
      cmd: ['--', 'cat', `${ws.layers}/e2e_runtime/version/VERSION`],
    });
    assert.equal(out.stdout, '2\n');
  });

  // §0.8: started as root, the analyzer and exporter hand the dirs to CNB_USER_ID and drop privileges;
  // the platform's docker socket admits root only (the reference opens its docker client before
  // dropping privileges). §0.9 daemon target, §6 export.
  it('-daemon: the five phases, started as root with a build user, export to a root-only docker socket', async () => {
    const w = await workspace('e2e-five-daemon-');
    try {
      await d.docker(['pull', '-q', run.name]);
      await phases(w, 'e2e/five-daemon:latest', true);
      const out = await dockerRun(d, 'e2e/five-daemon:latest', { pull: false });
      assert.equal(
        out.stdout,
        `app: Hello, app! mode=production execd=set-by-exec.d cwd=${w.app} args=serve\n`,
      );
    } finally {
      await w.cleanup();
    }
  });
});
