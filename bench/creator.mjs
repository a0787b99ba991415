// Creator overhead benchmark (issue: "creator overhead beyond the buildpacks' own run time, target ≤ 1 s
// for a small app"). Builds a one-file app with two no-op buildpacks into an OCI layout with a cache
// dir, several times, and subtracts the time the buildpacks' own executables take when run directly.
// Run: npm run build && node bench/creator.mjs [runs]
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist', 'lifecycle');
const lib = await import(join(root, 'dist', 'lib', 'index.js'));
const { writeRunImage } = await import('../scripts/lib/run-image.mjs');
const runs = Number(process.argv[2] ?? 5);
const work = mkdtempSync(join(tmpdir(), 'bench-creator-'));

function buildpack(id, detect, build) {
  const dir = join(work, 'buildpacks', id.replace('/', '_'), '1.0.0');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(
    join(dir, 'buildpack.toml'),
    `api = "0.10"\n[buildpack]\nid = "${id}"\nversion = "1.0.0"\n[[targets]]\nos = "linux"\n`,
  );
  for (const [name, body] of [
    ['detect', detect],
    ['build', build],
  ]) {
    writeFileSync(join(dir, 'bin', name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, 'bin', name), 0o755);
  }
  return dir;
}
const bps = [
  buildpack(
    'bench/a',
    'exit 0',
    'mkdir -p "$CNB_LAYERS_DIR/l" && echo hi > "$CNB_LAYERS_DIR/l/f" && printf "[types]\\nlaunch = true\\n" > "$CNB_LAYERS_DIR/l.toml"',
  ),
  buildpack(
    'bench/b',
    'exit 0',
    'printf \'[[processes]]\\ntype = "web"\\ncommand = ["/bin/sh", "-c", "echo hi"]\\ndefault = true\\n\' > "$CNB_LAYERS_DIR/launch.toml"',
  ),
];
writeFileSync(
  join(work, 'order.toml'),
  '[[order]]\n[[order.group]]\nid = "bench/a"\nversion = "1.0.0"\n[[order.group]]\nid = "bench/b"\nversion = "1.0.0"\n',
);
const layoutDir = join(work, 'layout');
await writeRunImage(lib, layoutDir, 'bench/run:latest', join(work, 'run'));
mkdirSync(join(work, 'cache'), { recursive: true });

const env = {
  PATH: process.env.PATH,
  CNB_PLATFORM_API: '0.12',
  CNB_EXPERIMENTAL_MODE: 'silent',
  CNB_USER_ID: String(process.getuid?.() ?? 0),
  CNB_GROUP_ID: String(process.getgid?.() ?? 0),
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const times = [];
for (let i = 0; i < runs; i++) {
  for (const d of ['app', 'layers']) rmSync(join(work, d), { recursive: true, force: true });
  mkdirSync(join(work, 'app'));
  writeFileSync(join(work, 'app', 'index.txt'), 'hello\n');
  mkdirSync(join(work, 'layers'));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    join(bin, 'creator'),
    [
      '-layout',
      '-layout-dir',
      layoutDir,
      '-run-image',
      'bench/run:latest',
      '-app',
      join(work, 'app'),
      '-layers',
      join(work, 'layers'),
      '-buildpacks',
      join(work, 'buildpacks'),
      '-order',
      join(work, 'order.toml'),
      '-platform',
      join(work, 'platform'),
      '-launcher',
      join(bin, 'launcher'),
      '-cache-dir',
      join(work, 'cache'),
      '-report',
      join(work, 'report.toml'),
      'bench/app:latest',
    ],
    { env, encoding: 'utf8' },
  );
  times.push(ms(t0));
  if (r.status !== 0) throw new Error(`creator failed (${r.status}): ${r.stderr}${r.stdout}`);
}
// The buildpacks' own time: each executable run directly, as often as the creator runs it.
const own = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  for (const dir of bps) {
    const e = { ...env, CNB_LAYERS_DIR: join(work, 'scratch'), CNB_BUILD_PLAN_PATH: join(work, 'plan.toml') };
    mkdirSync(e.CNB_LAYERS_DIR, { recursive: true });
    spawnSync(join(dir, 'bin', 'detect'), [], { env: e, cwd: work });
    spawnSync(join(dir, 'bin', 'build'), [], { env: e, cwd: work });
  }
  own.push(ms(t0));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const c = median(times);
const b = median(own);
console.log(`creator (analyze, detect, restore, build, export to an OCI layout + cache dir), ${runs} runs:`);
console.log(
  `  wall time median ${c.toFixed(0)} ms (min ${Math.min(...times).toFixed(0)} ms; first run without cache ${times[0].toFixed(0)} ms)`,
);
console.log(`  buildpacks' own executables: median ${b.toFixed(0)} ms`);
console.log(`  lifecycle overhead: ${(c - b).toFixed(0)} ms (target ≤ 1000 ms)`);
rmSync(work, { recursive: true, force: true });
