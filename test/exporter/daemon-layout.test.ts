import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readReport } from '../../src/files/index.ts';
import { daemon, layout } from '../../src/image/index.ts';
import { baseImage, cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { BP, cleanupDist, exporter, type Fixture, fixture, ok } from './helpers.ts';

// platform.md "exporter" (`-daemon`, `-layout`); docs/reference-behaviour.md §0.9, §6 "Save and report".
describe('exporter to the docker daemon and to an OCI layout', () => {
  let d: Dockerd;
  let fx: Fixture;

  before(async () => {
    d = await startDockerd();
    fx = await fixture();
  });
  after(async () => {
    await Promise.all([d?.stop(), fx?.cleanup()]);
    await cleanupFixtures();
    await cleanupDist();
  });

  it('-daemon: the image runs, report.toml has the image ID, a re-export reuses layers and the ID', async () => {
    const runId = (await daemon.write('cnb/run:latest', await baseImage('run'), { host: d.host })).id;
    await fx.analyzed(runId, 'cnb/run:latest');
    const env = { DOCKER_HOST: d.host };
    const r = ok(await exporter([...fx.flags(), '-daemon', 'cnb/app:latest', 'cnb/app:extra'], env));
    assert.match(r.stdout, /\*\*\* Images \([0-9a-f]{12}\):/);
    const report = await readReport(join(fx.layers, 'report.toml'));
    assert.deepEqual(report.image.tags, ['cnb/app:latest', 'cnb/app:extra']);
    assert.match(report.image.imageId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(report.image.digest, undefined);
    const info = await daemon.inspect('cnb/app:latest', { host: d.host });
    assert.equal(info?.Id, `sha256:${report.image.imageId}`);
    const infoLabels = (info?.Config?.Labels ?? {}) as Record<string, string>;
    const lc = JSON.parse(infoLabels['io.buildpacks.lifecycle.metadata'] ?? '{}');
    assert.equal(
      lc.runImage.reference,
      runId.replace(/^sha256:/, ''),
      'daemon identifiers have no sha256: prefix',
    );
    const out = await d.docker(['run', '--rm', '--network', 'none', 'cnb/app:extra']);
    assert.equal(out.stdout, `Hi world from ${fx.app}\n`);

    const label = infoLabels['io.buildpacks.lifecycle.metadata'] ?? '';
    await fx.analyzed(runId, 'cnb/run:latest', { ref: report.image.imageId!, label });
    const again = ok(await exporter([...fx.flags(), '-daemon', 'cnb/app:latest'], env));
    assert.match(again.stdout, new RegExp(`Reusing layer '${BP.id}:hello'`));
    const report2 = await readReport(join(fx.layers, 'report.toml'));
    assert.equal(report2.image.imageId, report.image.imageId, 'same inputs, same image ID');
  });

  it('-daemon -launch-cache: added layers are stored; reused ones come from it on a new run image', async () => {
    const launchCache = join(fx.root, 'launch-cache');
    await mkdir(launchCache);
    const env = { DOCKER_HOST: d.host };
    const runA = (await daemon.write('cnb/run:a', await baseImage('run-a'), { host: d.host })).id;
    await fx.analyzed(runA, 'cnb/run:a');
    ok(await exporter([...fx.flags(), '-daemon', '-launch-cache', launchCache, 'cnb/lc:1'], env));
    const info = await daemon.inspect('cnb/lc:1', { host: d.host });
    const diffIDs = info?.RootFS?.Layers ?? [];
    const stored = (await readdir(join(launchCache, 'committed'))).filter((f) => f.endsWith('.tar'));
    assert.equal(stored.length, 5, 'every added layer is in the launch cache');
    for (const f of stored) assert.ok(diffIDs.includes(f.slice(0, -4)));
    // A new run image: the reused buildpack layer sits on another chain, so the daemon needs its bytes.
    const runB = (await daemon.write('cnb/run:b', await baseImage('run-b'), { host: d.host })).id;
    const label =
      ((info?.Config?.Labels ?? {}) as Record<string, string>)['io.buildpacks.lifecycle.metadata'] ?? '';
    await fx.analyzed(runB, 'cnb/run:b', { ref: info?.Id ?? '', label });
    const r = ok(
      await exporter(
        [...fx.flags(), '-log-level', 'debug', '-daemon', '-launch-cache', launchCache, 'cnb/lc:2'],
        env,
      ),
    );
    assert.match(r.stdout, new RegExp(`Reusing layer '${BP.id}:hello'`));
    assert.match(r.stdout, /Using layer sha256:[0-9a-f]{64} from the launch cache/);
    const out = await d.docker(['run', '--rm', '--network', 'none', 'cnb/lc:2']);
    assert.equal(out.stdout, `Hi world from ${fx.app}\n`);
  });

  it('-layout: writes the image at its layout path, reading the run image from the layout', async () => {
    const layoutDir = join(fx.root, 'layout-repo');
    const runPath = layout.layoutPath(layoutDir, 'cnb/run:latest');
    const w = await layout.write(runPath, await baseImage('run'));
    await fx.analyzed(`${runPath}@${w.digest}`, 'cnb/run:latest');
    const env = { CNB_EXPERIMENTAL_MODE: 'warn' };
    const r = ok(await exporter([...fx.flags(), '-layout', '-layout-dir', layoutDir, 'my-app'], env));
    const appPath = join(layoutDir, 'index.docker.io', 'library', 'my-app', 'latest');
    assert.ok(r.stdout.includes(`Saving ${appPath}...`), r.stdout);
    const index = JSON.parse(await readFile(join(appPath, 'index.json'), 'utf8'));
    assert.equal(index.manifests.length, 1);
    const img = await layout.image(appPath);
    assert.equal(img.digest, index.manifests[0].digest);
    const lc = JSON.parse(img.config.config.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '{}');
    assert.equal(lc.runImage.reference, `${runPath}@${w.digest}`);
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/process/web']);
    const report = await readReport(join(fx.layers, 'report.toml'));
    assert.equal(report.image.digest, img.digest);
    // The layout image runs: load it into the daemon and start it.
    await daemon.write('cnb/from-layout:latest', img, { host: d.host });
    const out = await d.docker(['run', '--rm', '--network', 'none', 'cnb/from-layout:latest']);
    assert.equal(out.stdout, `Hi world from ${fx.app}\n`);
  });
});
