import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDirCache } from '../../src/cache/index.ts';
import { remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import type { PhaseRun, StartedPhase as Spawned } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  BUILDPACKS,
  cleanupLifecycle,
  e2eLines,
  lifecycleDir,
  ORDER,
  ok,
  phase,
  pushRunImage,
  show,
  spawnPhase,
  type Workspace,
  workspace,
} from './helpers.ts';

// DESIGN.md "Reliability": the cache survives an interrupted export. docs/reference-behaviour.md §6 "Cache
// export", §11 "Cache formats" (writes go to staging, commit swaps committed/staging), §3 restorer.
describe('e2e: an exporter killed while it writes the cache', () => {
  let reg: RegistryHandle;
  let ws: Workspace;
  let run: Awaited<ReturnType<typeof pushRunImage>>;
  const APP = () => `${reg.host}/e2e/interrupted:latest`;
  const METADATA = () => join(ws.cache, 'committed', 'io.buildpacks.lifecycle.cache.metadata');

  /** analyzer → detector → restorer → builder, on fresh <app> and <layers>; returns the restorer and builder runs. */
  async function untilExport(): Promise<{ restorer: PhaseRun; builder: PhaseRun }> {
    await ws.fresh();
    const env = ws.env();
    const L = ['-layers', ws.layers];
    const dirs = ['-app', ws.app, ...L, '-platform', ws.platform, '-buildpacks', BUILDPACKS];
    ok(await phase('analyzer', [...L, '-run-image', run.name, APP()], env), 'analyzer');
    ok(await phase('detector', [...dirs, '-order', ORDER], env), 'detector');
    const restorer = ok(await phase('restorer', [...L, '-cache-dir', ws.cache], env), 'restorer');
    const builder = ok(await phase('builder', dirs, env), 'builder');
    return { restorer, builder };
  }
  const exporterArgs = async () => [
    '-app',
    ws.app,
    '-layers',
    ws.layers,
    '-cache-dir',
    ws.cache,
    '-launcher',
    join(await lifecycleDir(), 'launcher'),
    APP(),
  ];
  /**
   * Cache metadata as the next restorer reads it (`committed/`, or `committed-backup/` when a kill fell
   * between the commit's two renames, D-231): layer name → the `build` recorded in its metadata.
   */
  const cachedBuilds = async (): Promise<Record<string, unknown>> => {
    const meta = await (await openDirCache(ws.cache)).metadata();
    const layers = meta.buildpacks.find((b) => b.key === 'e2e/runtime')?.layers ?? {};
    return Object.fromEntries(
      Object.entries(layers).map(([k, v]) => [k, (v.data as { build?: number } | undefined)?.build ?? null]),
    );
  };

  /** Files in the writers' staging directories (`staging-<owner>/`, D-231). */
  const stagingFiles = async (): Promise<string[]> => {
    const dirs = (await readdir(ws.cache).catch(() => [] as string[])).filter((f) =>
      f.startsWith('staging-'),
    );
    const lists = await Promise.all(dirs.map((d) => readdir(join(ws.cache, d)).catch(() => [] as string[])));
    return lists.flat();
  };

  /** Kills the exporter as soon as `committed-backup` appears (the commit's first rename); bounded. */
  function killOnCommit(exp: Spawned): NodeJS.Timeout {
    const backup = join(ws.cache, 'committed-backup');
    const deadline = Date.now() + 60_000;
    const poll = setInterval(() => {
      if (existsSync(backup) || Date.now() > deadline || exp.child.exitCode !== null) {
        exp.child.kill('SIGKILL');
        clearInterval(poll);
      }
    }, 1);
    return poll;
  }

  before(async () => {
    [reg, ws] = await Promise.all([startRegistry(), workspace('e2e-interrupted-')]);
    run = await pushRunImage(reg.host);
  });
  after(async () => {
    await Promise.all([reg?.stop(), ws?.cleanup()]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  it('SIGKILL during the cache write leaves the previous cache usable; the next build restores from it', async () => {
    // Build 1 commits a cache: deps (cache only, build 1) and runtime (launch+build+cache).
    await ws.platformEnv('E2E_DEPS_MB', '8');
    await untilExport();
    ok(await phase('exporter', await exporterArgs(), ws.env()), 'exporter #1');
    assert.deepEqual(await cachedBuilds(), { deps: 1, runtime: null });
    const committedBefore = await readFile(METADATA(), 'utf8');

    // Build 2 makes a big new deps layer; its exporter is killed while it writes it into staging/.
    await ws.platformEnv('E2E_DEPS_MB', '64');
    await untilExport();
    const exp = await spawnPhase('exporter', await exporterArgs(), ws.env());
    let exited = false;
    void exp.done.then(() => {
      exited = true;
    });
    let seen: string[] = [];
    for (const deadline = Date.now() + 60_000; !exited && Date.now() < deadline; ) {
      seen = await stagingFiles();
      if (seen.some((f) => f.endsWith('.tmp'))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const killed = exp.child.kill('SIGKILL');
    const r2 = await exp.done;
    assert.ok(killed && r2.signal === 'SIGKILL', `the exporter ended before it could be killed: ${show(r2)}`);
    assert.ok(
      seen.some((f) => f.endsWith('.tmp')),
      `killed while a cache layer was being written (staging: ${seen})`,
    );
    assert.match(r2.stdout, /Saving /, 'the image was exported before the cache');
    assert.equal(await readFile(METADATA(), 'utf8'), committedBefore, 'committed/ is untouched');

    // Build 3: a full rebuild restores build 1's cache and commits a new one.
    await ws.platformEnv('E2E_DEPS_MB', undefined);
    const b3 = await untilExport();
    assert.match(b3.restorer.stdout, /Restoring data for "e2e\/runtime:deps" from cache/);
    assert.match(b3.restorer.stdout, /Restoring data for "e2e\/runtime:runtime" from cache/);
    const lines = e2eLines(b3.builder);
    assert.ok(lines.includes('e2e: runtime layer restored from cache'), lines.join('\n'));
    // store.toml comes from build 2's image (pushed before the kill); deps from build 1's cache.
    assert.ok(lines.includes('e2e: store.toml restored: builds = 2'), lines.join('\n'));
    assert.ok(lines.includes('e2e: deps restored from cache: build 1 version 1'), lines.join('\n'));
    const r3 = ok(await phase('exporter', await exporterArgs(), ws.env()), 'exporter #3');
    assert.match(r3.stdout, /Reusing cache layer 'e2e\/runtime:runtime'/);
    assert.deepEqual(await cachedBuilds(), { deps: 3, runtime: null });
    const left = (await readdir(ws.cache)).sort();
    assert.deepEqual(left, ['committed'], `no staging or backup left behind: ${left}`);
    const tars = (await readdir(join(ws.cache, 'committed'))).filter((f) => f.endsWith('.tar'));
    assert.equal(tars.length, 2, `only the current layers are kept: ${tars}`);
    const img = await remote.image(APP());
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/process/web']);
  });

  it('killed at points spread over the cache write and commit: every next build restores a usable cache', async (t) => {
    await ws.platformEnv('E2E_DEPS_MB', '64');
    // A full export, timed: when the cache write starts (a .tmp in staging/) and when the exporter ends.
    await untilExport();
    const builds = async () => (await cachedBuilds())['deps'] as number;
    const t0 = Date.now();
    const full = await spawnPhase('exporter', await exporterArgs(), ws.env());
    let ended = 0;
    void full.done.then(() => {
      ended = Date.now();
    });
    let started = 0;
    for (const deadline = t0 + 60_000; ended === 0 && Date.now() < deadline; ) {
      const files = await stagingFiles();
      if (started === 0 && files.some((f) => f.endsWith('.tmp'))) started = Date.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    ok(await full.done, 'timed exporter');
    assert.ok(started > 0, 'the cache write was seen');
    let committed = await builds();
    const outcomes: string[] = [];
    // Kills at fractions of the timed cache write (> 1: around the commit; machine load moves them, so
    // any outcome may happen and each must leave the old or the new cache), and one on seeing the commit.
    for (const f of [0.4, 0.9, 1.1, 'commit'] as const) {
      const b = await untilExport();
      const restored = e2eLines(b.builder).find((l) => l.startsWith('e2e: deps restored from cache: '));
      assert.match(
        restored ?? '',
        new RegExp(`^e2e: deps restored from cache: build ${committed} `),
        show(b.builder),
      );
      assert.doesNotMatch(b.restorer.stdout + b.restorer.stderr, /Skipping restore/, show(b.restorer));
      const store = /^e2e: store\.toml restored: builds = (\d+)$/m.exec(b.builder.stdout);
      const current = Number(store?.[1] ?? 0) + 1;
      const exp = await spawnPhase('exporter', await exporterArgs(), ws.env());
      const timer =
        f === 'commit'
          ? killOnCommit(exp)
          : setTimeout(() => exp.child.kill('SIGKILL'), started - t0 + Math.round((ended - started) * f));
      const r = await exp.done;
      clearTimeout(timer);
      assert.ok(r.code === 0 || r.signal === 'SIGKILL', show(r));
      // Either the old cache is still committed, or the new one is complete.
      const now = await builds();
      assert.ok(
        now === committed || now === current,
        `cache of build ${now}: neither the old (${committed}) nor the new (${current}) one`,
      );
      outcomes.push(
        `${f}: ${r.signal ?? `exit ${r.code}`}, cache of the ${now === current ? 'new' : 'old'} build`,
      );
      committed = now;
    }
    t.diagnostic(
      `export ${ended - t0} ms, cache write from ${started - t0} ms; kills: ${outcomes.join('; ')}`,
    );
    const b = await untilExport();
    assert.ok(
      e2eLines(b.builder).includes('e2e: runtime layer restored from cache'),
      `the cache is usable at the end: ${show(b.builder)}`,
    );
  });
});
