/**
 * Pieces of bench/export.mjs: the app fixture the exporter reads, the exporter run (under GNU time,
 * optionally under `node --cpu-prof`), the baselines measured on the same data in the same run
 * (`tar | gzip -1 | sha256sum`, `tar | pigz -1 | sha256sum`, `umoci insert` + `skopeo copy`), medians.
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeBuildMetadata } from '../src/files/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(root, 'dist', 'lifecycle');

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
export const MiB = 2 ** 20;

/**
 * `tar -cf - <names…> | <gzip> | sha256sum` from `cwd` (names relative to it): the machine's limit of
 * making that layer, single stream (`gzip -1`) or on every core (`pigz -1`). Returns wall seconds and
 * CPU seconds (user + system of the whole pipeline, from GNU time).
 */
export function baseline(cwd, names, gzip = 'gzip -1') {
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      'CPU=%U+%S',
      'bash',
      '-c',
      `tar -cf - -C "$1" "\${@:2}" | ${gzip} | sha256sum >/dev/null`,
      '_',
      cwd,
      ...names,
    ],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
  const cpu = /CPU=([\d.]+)\+([\d.]+)/.exec(r.stderr);
  return { seconds, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : 0 };
}

/** Where skopeo (containers/image), run as root, remembers which repositories hold which blobs. */
const SKOPEO_BLOB_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';

/**
 * What users could script with Go tools today: `umoci insert` of each directory (parallel gzip) into a
 * fresh OCI layout image, then `skopeo copy` of it to the registry. Returns seconds.
 *
 * skopeo mounts a blob from any repository of the registry that its blob-info cache says holds it, so
 * from the second run on it would upload nothing while the exporter uploads everything: the cache is
 * removed before each run (it is only a cache; skopeo makes a new one).
 */
export async function umociSkopeo(tmp, dirs, dest) {
  const lay = join(tmp, 'umoci-layout');
  await rm(lay, { recursive: true, force: true });
  await rm(SKOPEO_BLOB_CACHE, { force: true });
  const t0 = performance.now();
  execFileSync('umoci', ['init', '--layout', lay]);
  execFileSync('umoci', ['new', '--image', `${lay}:t`]);
  for (const d of dirs) execFileSync('umoci', ['insert', '--rootless', '--image', `${lay}:t`, d, d]);
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${lay}:t`, `docker://${dest}`]);
  const s = (performance.now() - t0) / 1000;
  await rm(lay, { recursive: true, force: true });
  return s;
}

/**
 * An app as the builder leaves it under `<tmp>/<name>/`: buildpack `bench/bp` with the given launch
 * layers (directories under `layers/bench_bp/`), group.toml, metadata.toml, a workspace and run.toml.
 * `fill(dir, i)` makes layer i's files. Returns the fixture's paths.
 */
export async function appFixture(tmp, name, layerNames, fill) {
  const base = join(tmp, name);
  const bp = join(base, 'layers', 'bench_bp');
  await mkdir(bp, { recursive: true });
  let bytes = 0;
  let files = 0;
  for (const [i, l] of layerNames.entries()) {
    const r = await fill(join(bp, l), i);
    bytes += r.bytes;
    files += r.files;
    await writeFile(join(bp, `${l}.toml`), '[types]\n  launch = true\n');
  }
  await writeFile(
    join(base, 'layers', 'group.toml'),
    '[[group]]\n  id = "bench/bp"\n  version = "1"\n  api = "0.10"\n',
  );
  await mkdir(join(base, 'workspace'));
  await writeFile(join(base, 'workspace', 'app.txt'), 'app\n');
  await writeFile(join(base, 'run.toml'), '');
  await writeBuildMetadata(join(base, 'layers', 'config', 'metadata.toml'), {
    buildpacks: [{ id: 'bench/bp', version: '1', api: '0.10' }],
    extensions: [],
    labels: [],
    processes: [{ type: 'web', command: ['true'], args: [], direct: true, buildpackId: 'bench/bp' }],
    slices: [],
  });
  return { base, layers: join(base, 'layers'), bp, layerNames, bytes, files };
}

/** Writes `<layers>/analyzed.toml`: the run image, and the previous image's part when given. */
export function writeAnalyzed(app, runRef, previous) {
  return writeFile(
    join(app.layers, 'analyzed.toml'),
    `${previous ?? '[image]\n  reference = ""\n'}\n[run-image]\n  reference = "${runRef}"\n`,
  );
}

/** analyzed.toml's `[image]` and `[metadata]` for a no-op rebuild on top of `prev` (a remote image). */
export function previousToml(prev, app) {
  const lm = JSON.parse(prev.config.config.Labels['io.buildpacks.lifecycle.metadata']);
  const layers = lm.buildpacks[0].layers;
  return (
    `[image]\n  reference = "${prev.reference}"\n\n[metadata]\n` +
    `  [metadata.launcher]\n    sha = "${lm.launcher.sha}"\n  [metadata.config]\n    sha = "${lm.config.sha}"\n` +
    `  [metadata.process-types]\n    sha = "${(lm['process-types'] ?? lm.processTypes).sha}"\n` +
    lm.app.map((a) => `  [[metadata.app]]\n    sha = "${a.sha}"\n`).join('') +
    '  [[metadata.buildpacks]]\n    key = "bench/bp"\n    version = "1"\n' +
    app.layerNames
      .map(
        (l) => `    [metadata.buildpacks.layers.${l}]\n      sha = "${layers[l].sha}"\n      launch = true\n`,
      )
      .join('')
  );
}

/**
 * Runs the built exporter on `app` to `images` (the first is the image, the rest more tags) under GNU
 * time; with `cpuProf` (a directory) through `node --cpu-prof` on the bundle instead of the shipped
 * runtime; `lifecycle` is the dist/lifecycle directory to run (default this checkout's). Returns seconds, peak RSS (KiB), CPU seconds (user + system) and the output.
 */
export function runExporter(app, images, { cpuProf, extra = [], env = {}, lifecycle = dist } = {}) {
  const args = [
    '-layers',
    app.layers,
    '-app',
    join(app.base, 'workspace'),
    '-launcher',
    join(lifecycle, 'launcher'),
    '-launcher-sbom',
    join(app.base, 'none'),
    '-run',
    join(app.base, 'run.toml'),
    ...extra,
    ...images,
  ];
  const cmd = cpuProf
    ? [
        process.execPath,
        '--cpu-prof',
        '--cpu-prof-dir',
        cpuProf,
        join(lifecycle, 'lifecycle.mjs'),
        'exporter',
        ...args,
      ]
    : [join(lifecycle, 'exporter'), ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn('/usr/bin/time', ['-f', 'MAXRSS=%M CPU=%U+%S', ...cmd], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CNB_PLATFORM_API: '0.12', ...env },
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`exporter exited ${code}:\n${out}`));
      const cpu = /CPU=([\d.]+)\+([\d.]+)/.exec(out);
      resolve({
        seconds,
        rssKiB: Number(/MAXRSS=(\d+)/.exec(out)?.[1] ?? 0),
        cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : 0,
        out,
      });
    });
  });
}

/** `tar` names of the app's layer directories, relative to its buildpack directory. */
export const layerDirs = (app) => ({
  cwd: app.bp,
  names: app.layerNames.map((l) => basename(join(app.bp, l))),
});

/** CPU seconds (user + system) process `pid` has used so far, from `/proc/<pid>/stat`. */
export function processCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
