/**
 * Export benchmark (DESIGN.md "Performance design"; issue 12): the built exporter (`dist/lifecycle/exporter`)
 * exporting to a local registry (Debian's docker-registry on 127.0.0.1), against the machine's own limits
 * measured on the same data in the same run, interleaved, `--runs` times; prints medians and the load.
 *
 * Cases:
 * - one big launch layer (`--mib`, default 256), many small ones (`--small` layers of 2 MiB, default 50;
 *   each such tree is all random bytes, makeBenchTree's first size cycle) and as many small ones that are
 *   half text by bytes (`mixed`),
 *   each against `tar | pigz -1 | sha256sum` (the two-core limit; goal ≤ 1.3×), `tar | gzip -1 | sha256sum`
 *   (single stream) and `umoci insert` + `skopeo copy` (goal: faster); peak RSS (goal < 200 MiB); the
 *   registry's CPU during the export (it shares the cores) and how close the export comes to keeping
 *   every core busy;
 * - a no-op re-export (previous image given, nothing changed): time and blobs uploaded (goal: none);
 * - a three-tag export: blob uploads and manifest PUTs (D-381).
 * `--cpu-prof DIR` runs the exporter through `node --cpu-prof` once per case instead (docs/performance.md).
 *
 * `--compare DIR` also runs the exporter of another build's dist/lifecycle in each run (an A/B on one load),
 * the two taking turns to go first.
 *
 *   npm run build && node --import tsx bench/export.mjs [--mib 256] [--small 50] [--runs 3] [--only big|small|mixed]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from '../src/image/index.ts';
import { baseImage, cleanupFixtures } from '../test/layout/fixtures.ts';
import { startRegistry } from '../test/support/registry.ts';
import {
  appFixture,
  baseline,
  layerDirs,
  load,
  MiB,
  median,
  previousToml,
  processCpu,
  runExporter,
  umociSkopeo,
  writeAnalyzed,
} from './export-lib.mjs';
import { makeBenchTree } from './layer-data.ts';

const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const mib = Number(flag('--mib', '256'));
const small = Number(flag('--small', '50'));
const runs = Number(flag('--runs', '3'));
const only = flag('--only', '');
const cpuProf = flag('--cpu-prof', undefined);
// Another build's dist/lifecycle (e.g. of an older commit), run in each run beside this one: an A/B on one load.
const compare = flag('--compare', undefined);

const tmp = await mkdtemp(join(tmpdir(), 'bench-export-'));
const reg = await startRegistry();
const f2 = (x) => x.toFixed(2);
try {
  const run = await remote.write(`${reg.host}/run:latest`, await baseImage('run'));
  const runRef = `${reg.host}/run@${run.digest}`;
  const cases = [];
  if (only === '' || only === 'big')
    cases.push(await appFixture(tmp, 'big', ['big'], (dir) => makeBenchTree(dir, mib * MiB)));
  if (only === '' || only === 'small') {
    const names = Array.from({ length: small }, (_, i) => `s${String(i).padStart(2, '0')}`);
    cases.push(await appFixture(tmp, 'small', names, (dir, i) => makeBenchTree(dir, 2 * MiB, `small-${i}`)));
  }
  if (only === '' || only === 'mixed') {
    const names = Array.from({ length: small }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const fill = (dir, i) => makeBenchTree(dir, 2 * MiB, `mixed-${i}`, { balanced: true });
    cases.push({ ...(await appFixture(tmp, 'mixed', names, fill)), kind: ', half text' });
  }
  const cores = Number(execFileSync('nproc').toString().trim());
  console.log(`machine: ${cores} cores; load at start ${load()}`);
  for (const app of cases) {
    const what = `${app.layerNames.length} layer(s)${app.kind ?? ''}, ${app.files} files, ${(app.bytes / MiB).toFixed(0)} MiB`;
    await writeAnalyzed(app, runRef);
    if (cpuProf) {
      const e = await runExporter(app, [`${reg.host}/${app.layerNames.length}-prof:latest`], { cpuProf });
      console.log(`${what}: profiled export ${f2(e.seconds)} s, CPU ${f2(e.cpu)} s; profile in ${cpuProf}`);
      continue;
    }
    const { cwd, names } = layerDirs(app);
    // Each run measures the baselines and the exporter back to back; ratios are taken within a run (the
    // load of the shared machine moves wall times by tens of percent between runs), then the median.
    const m = {
      gzip: [],
      pigz: [],
      exp: [],
      umoci: [],
      rss: [],
      loads: [],
      rP: [],
      rG: [],
      rU: [],
      cP: [],
      rO: [],
      reg: [],
      eff: [],
    };
    for (let r = 0; r < runs; r++) {
      m.loads.push(load());
      const g = baseline(cwd, names);
      const p = baseline(cwd, names, 'pigz -1');
      // With --compare the two builds take turns to go first: the one run right after the baselines is
      // slower (page cache, the registry's state), which a fixed order would count against it.
      let otherSeconds = 0;
      const other = async () => {
        const o = await runExporter(app, [`${reg.host}/${app.base.split('/').pop()}-old-r${r}:latest`], {
          lifecycle: compare,
        });
        otherSeconds = o.seconds;
        console.log(`  run ${r + 1}: the exporter of ${compare} ${f2(o.seconds)} s (CPU ${f2(o.cpu)} s)`);
      };
      if (compare && r % 2 === 1) await other();
      // Each run pushes to repositories of its own: a blob already in the target repository is not sent
      // again (skopeo checks first), which would compare an upload with no upload.
      const reg0 = processCpu(reg.pid);
      const e = await runExporter(app, [`${reg.host}/${app.base.split('/').pop()}-r${r}:latest`]);
      // The registry receives the blobs on the same cores: its CPU is part of what an export costs here.
      const regCpu = processCpu(reg.pid) - reg0;
      if (compare && r % 2 === 0) await other();
      const dirs = app.layerNames.map((l) => join(app.bp, l));
      const u = await umociSkopeo(tmp, dirs, `${reg.host}/umoci-${app.layerNames.length}-r${r}:latest`);
      m.gzip.push(g.seconds);
      m.pigz.push(p.seconds);
      m.exp.push(e.seconds);
      m.umoci.push(u);
      m.rss.push(e.rssKiB / 1024);
      m.rP.push(e.seconds / p.seconds);
      m.rG.push(e.seconds / g.seconds);
      m.rU.push(e.seconds / u);
      m.cP.push(e.cpu / p.cpu);
      m.reg.push(regCpu);
      m.eff.push(e.seconds / ((e.cpu + regCpu) / cores));
      if (compare) m.rO.push(e.seconds / otherSeconds);
      console.log(
        `  run ${r + 1} (load ${m.loads[r]}): gzip ${f2(g.seconds)} s, pigz ${f2(p.seconds)} s (CPU ${f2(p.cpu)} s), exporter ${f2(e.seconds)} s (CPU ${f2(e.cpu)} s, registry CPU ${f2(regCpu)} s), umoci+skopeo ${f2(u)} s`,
      );
    }
    const med = (k) => f2(median(m[k]));
    console.log(`${what}; medians of ${runs} runs (load ${m.loads.join(' | ')}):`);
    console.log(`  exporter ${med('exp')} s, peak RSS ${median(m.rss).toFixed(0)} MiB (goal < 200)`);
    console.log(
      `  vs tar|pigz -1|sha256sum (${med('pigz')} s): ${med('rP')}x wall (goal <= 1.3x), ${med('cP')}x CPU`,
    );
    console.log(`  vs tar|gzip -1|sha256sum (${med('gzip')} s): ${med('rG')}x`);
    console.log(
      `  the registry used ${med('reg')} s CPU meanwhile; exporter wall / ((exporter + registry CPU) / ${cores} cores): ${med('eff')}x (1x = both cores busy throughout)`,
    );
    console.log(`  vs umoci insert + skopeo copy (${med('umoci')} s): ${med('rU')}x (goal < 1x)`);
    if (compare) console.log(`  vs the exporter of ${compare}: ${med('rO')}x`);
  }
  if (cpuProf || only !== '') process.exit(0);

  // No-op re-export of the big case: previous image = its last export, nothing changed.
  const big = cases[0];
  const lastRepo = `${reg.host}/big-r${runs - 1}`;
  const prev = await remote.image(`${lastRepo}:latest`);
  await writeAnalyzed(big, runRef, previousToml({ ...prev, reference: `${lastRepo}@${prev.digest}` }, big));
  const uploads = () =>
    reg.requests().filter((q) => q.method === 'PUT' && q.uri.includes('/blobs/uploads/')).length;
  const noop = [];
  const before = uploads();
  for (let r = 0; r < runs; r++) noop.push((await runExporter(big, [`${lastRepo}:noop${r}`])).seconds);
  const same = (await remote.image(`${lastRepo}:noop0`)).digest === prev.digest;
  console.log(
    `no-op re-export: median ${f2(median(noop))} s, ${uploads() - before} blob(s) uploaded in ${runs} runs, same digest: ${same}`,
  );

  // Three tags of one repository (D-381): each blob uploaded once, one manifest PUT per tag.
  const count = (method, part) =>
    reg.requests().filter((q) => q.method === method && q.uri.includes(part)).length;
  const [u0, m0] = [count('PUT', '/blobs/uploads/'), count('PUT', '/manifests/')];
  await writeAnalyzed(big, runRef);
  await runExporter(big, [`${reg.host}/tags:a`, `${reg.host}/tags:b`, `${reg.host}/tags:c`]);
  const blobs = (await remote.image(`${reg.host}/tags:a`)).layers.length + 1;
  console.log(
    `three-tag export: ${count('PUT', '/blobs/uploads/') - u0} blob uploads for ${blobs} blobs, ${count('PUT', '/manifests/') - m0} manifest PUTs`,
  );
  console.log(`load at end ${load()}`);
} finally {
  await reg.stop();
  await rm(tmp, { recursive: true, force: true });
  await cleanupFixtures();
}
