import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemon, type Image, layout } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import {
  analyzer,
  baseEnv,
  output,
  PREVIOUS_METADATA,
  previousAppImage,
  readAnalyzedToml,
  runImage,
  workspace,
  writeRunToml,
} from './helpers.ts';

/** Black-box: the analyzer with `-daemon` (a private dockerd) and `-layout` (docs/reference-behaviour.md §0.9, §1). */
describe('analyzer (daemon, layout, privileges)', () => {
  let d: Dockerd;
  let ws: Awaited<ReturnType<typeof workspace>>;
  let run: Image;
  let prev: Image;
  let runId: string;
  let prevId: string;

  before(async () => {
    [d, ws] = await Promise.all([startDockerd(), workspace()]);
    run = await runImage({
      'io.buildpacks.base.distro.name': 'busybox',
      'io.buildpacks.base.distro.version': '1',
    });
    prev = await previousAppImage(run, PREVIOUS_METADATA);
    runId = (await daemon.write('example/run:v1', run, { host: d.host })).id;
    prevId = (await daemon.write('example/app:latest', prev, { host: d.host })).id;
    const repo = join(ws.dir, 'layout-repo');
    await layout.write(layout.layoutPath(repo, 'busybox'), run);
    await layout.write(layout.layoutPath(repo, 'my-app'), prev);
  });
  after(async () => {
    await d?.stop();
    await ws?.cleanup();
    await cleanupFixtures();
  });

  let n = 0;
  const layersDir = async () => {
    const p = join(ws.dir, `layers-${++n}`);
    await mkdir(p);
    return p;
  };

  it('-daemon: image IDs (hex, no sha256:) for previous and run image; no layer metadata written', async () => {
    const layers = await layersDir();
    const r = await analyzer(
      ['-daemon', '-layers', layers, '-run-image', 'example/run:v1', 'example/app:latest'],
      baseEnv(ws.dir, { DOCKER_HOST: d.host }),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, prevId.replace(/^sha256:/, ''));
    assert.equal(t['run-image']?.reference, runId.replace(/^sha256:/, ''));
    assert.deepEqual(t['run-image']?.target, {
      os: 'linux',
      arch: 'amd64',
      distro: { name: 'busybox', version: '1' },
    });
    assert.equal((t.metadata?.['buildpacks'] as { key: string }[] | undefined)?.[0]?.key, 'example/node');
    assert.deepEqual(await readdir(layers), ['analyzed.toml']);
  });

  it('-daemon: a missing run image is recorded with an empty reference; tags on other registries are fine', async () => {
    const layers = await layersDir();
    const r = await analyzer(
      ['-layers', layers, '-tag', 'other.io/app:x', '-run-image', 'some-run-image', 'example/new:latest'],
      baseEnv(ws.dir, { DOCKER_HOST: d.host, CNB_USE_DAEMON: 'true' }),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, '');
    assert.equal(t['run-image']?.reference, '');
    assert.equal(t['run-image']?.image, 'some-run-image');
  });

  it('-daemon: run.toml candidates all count as accessible', async () => {
    const layers = await layersDir();
    const runToml = join(ws.dir, 'run.toml');
    await writeRunToml(runToml, { image: 'example/run:v1', mirrors: ['elsewhere.io/run:v1'] });
    const r = await analyzer(
      ['-daemon', '-layers', layers, '-run', runToml, 'example/app:latest'],
      baseEnv(ws.dir, { DOCKER_HOST: d.host }),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t['run-image']?.image, 'example/run:v1');
  });

  it('-launch-cache without -daemon: warning', async () => {
    const layers = await layersDir();
    const repo = join(ws.dir, 'layout-repo');
    const r = await analyzer(
      [
        '-layout',
        '-layout-dir',
        repo,
        '-launch-cache',
        join(ws.dir, 'lc'),
        '-layers',
        layers,
        '-run-image',
        'busybox',
        'my-app',
      ],
      baseEnv(ws.dir, { CNB_EXPERIMENTAL_MODE: 'silent' }),
    );
    assert.equal(r.code, 0, output(r));
    assert.match(r.stderr, /Warning: Ignoring -launch-cache, only intended for use with -daemon/);
  });

  it('-layout: references map to layout paths, identifiers are <path>@<digest>', async () => {
    const layers = await layersDir();
    const repo = join(ws.dir, 'layout-repo');
    const r = await analyzer(
      ['-layout', '-layout-dir', repo, '-layers', layers, '-run-image', 'busybox', 'my-app'],
      baseEnv(ws.dir, { CNB_EXPERIMENTAL_MODE: 'warn' }),
    );
    assert.equal(r.code, 0, output(r));
    assert.match(r.stderr, /Warning: Platform requested experimental feature 'export to OCI layout format'/);
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t['run-image']?.reference, `${repo}/index.docker.io/library/busybox/latest@${run.digest}`);
    assert.equal(t.image?.reference, `${repo}/index.docker.io/library/my-app/latest@${prev.digest}`);
    assert.equal(t['run-image']?.image, 'busybox');
  });

  it('-layout with CNB_LAYOUT_DIR and CNB_USE_LAYOUT; a path in the layout dir is used as it is', async () => {
    const layers = await layersDir();
    const repo = join(ws.dir, 'layout-repo');
    const path = `${repo}/index.docker.io/library/busybox/latest`;
    const r = await analyzer(
      ['-layers', layers, '-run-image', path, 'my-app'],
      baseEnv(ws.dir, { CNB_EXPERIMENTAL_MODE: 'warn', CNB_USE_LAYOUT: 'true', CNB_LAYOUT_DIR: repo }),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t['run-image']?.reference, `${path}@${run.digest}`);
  });

  it('-layout without CNB_EXPERIMENTAL_MODE: exit 1', async () => {
    const r = await analyzer(
      [
        '-layout',
        '-layout-dir',
        join(ws.dir, 'layout-repo'),
        '-layers',
        await layersDir(),
        '-run-image',
        'busybox',
        'my-app',
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 1, output(r));
    assert.match(r.stderr, /Platform requested experimental feature/);
  });

  it('as root with CNB_USER_ID/CNB_GROUP_ID: layers handed over, analyzed.toml owned by the user', async () => {
    const layers = await layersDir();
    const analyzed = join(ws.dir, `out-${n}`, 'some-analyzed.toml');
    await mkdir(join(ws.dir, `out-${n}`));
    await chmod(join(ws.dir, `out-${n}`), 0o777);
    const r = await analyzer(
      [
        '-daemon',
        '-layers',
        layers,
        '-analyzed',
        analyzed,
        '-run-image',
        'example/run:v1',
        'example/app:latest',
      ],
      baseEnv(ws.dir, { DOCKER_HOST: d.host, CNB_USER_ID: '2222', CNB_GROUP_ID: '3333' }),
    );
    assert.equal(r.code, 0, output(r));
    for (const p of [layers, analyzed]) {
      const st = await stat(p);
      assert.deepEqual([st.uid, st.gid], [2222, 3333], p);
    }
  });
});
