// The README's first command: builds the example app (examples/) into an OCI image with the lifecycle's
// `creator`, exactly as a platform would, on an OCI layout under ./out (no registry or daemon needed),
// twice: the second build reuses the cache and the unchanged layers. Then it starts the image's
// processes: in Docker when an engine is reachable, else with the launcher on this machine.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist', 'lifecycle');
const out = join(root, 'out');
const layoutDir = join(out, 'layout');
const work = join(out, 'demo');
const APP = 'demo/app:latest';
const RUN = 'demo/run:latest';

if (!existsSync(join(bin, 'creator'))) {
  console.error(`${bin} is missing: run 'npm run build' first`);
  process.exit(1);
}
const lib = await import(join(root, 'dist', 'lib', 'index.js'));
const { writeRunImage } = await import('./lib/run-image.mjs');
const { image, layoutPathFor } = lib;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(work, 'cache'), { recursive: true });

// 1. A run image made here (see scripts/lib/run-image.mjs), in the OCI layout.
const shell = await writeRunImage(lib, layoutDir, RUN, join(work, 'run-image'));
console.log(`Run image ${RUN} (${shell}) written to ${layoutPathFor(layoutDir, RUN)}`);

// 2. Two builds with `creator`, as a platform runs it.
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  CNB_PLATFORM_API: '0.12',
  CNB_EXPERIMENTAL_MODE: 'silent', // OCI layout export is experimental in Platform API 0.12
  CNB_USER_ID: String(uid),
  CNB_GROUP_ID: String(gid),
};
// Like a platform, every build gets fresh <app> and <layers> directories at the same paths (cached layers
// and the app layer record them).
const app = join(work, 'workspace');
const layers = join(work, 'layers');
function creator(n) {
  rmSync(app, { recursive: true, force: true });
  rmSync(layers, { recursive: true, force: true });
  cpSync(join(root, 'examples', 'app'), app, { recursive: true });
  mkdirSync(layers, { recursive: true });
  mkdirSync(join(work, 'platform', 'env'), { recursive: true });
  writeFileSync(join(work, 'platform', 'env', 'DEMO_USER_ENV'), 'from-the-platform');
  const args = [
    '-layout',
    '-layout-dir',
    layoutDir,
    '-run-image',
    RUN,
    '-app',
    app,
    '-layers',
    layers,
    '-platform',
    join(work, 'platform'),
    '-buildpacks',
    join(root, 'examples', 'buildpacks'),
    '-order',
    join(root, 'examples', 'order.toml'),
    '-launcher',
    join(bin, 'launcher'),
    '-cache-dir',
    join(work, 'cache'),
    '-report',
    join(work, `report-${n}.toml`),
    APP,
  ];
  console.log(`\n=== Build #${n}\n$ creator ${args.join(' ')}`);
  const r = spawnSync(join(bin, 'creator'), args, { env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) {
    console.error(`\ncreator failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
  return { stdout: r.stdout };
}
creator(1);
const second = creator(2);

// 3. What was built.
const report = readFileSync(join(work, 'report-2.toml'), 'utf8');
const digest = /digest = "([^"]+)"/.exec(report)?.[1] ?? '?';
const count = (re) => second.stdout.split('\n').filter((l) => re.test(l)).length;
const meta = readFileSync(join(layers, 'config', 'metadata.toml'), 'utf8');
const processes = [...meta.matchAll(/^type = "([^"]+)"/gm)].map((m) => m[1]);
const appPath = layoutPathFor(layoutDir, APP);
console.log(`\n=== Built ${APP}
  OCI layout:  ${appPath}
  digest:      ${digest}
  build #2:    ${count(/Reusing (cached )?layer/)} layer(s) reused, ${count(/Adding (cache )?layer/)} added
  processes:   ${processes.join(', ')} (default: web)`);

// 4. Run it: in Docker when an engine answers, else with the launcher on this machine.
const dockerHost =
  process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
let ran = false;
if (dockerHost) {
  try {
    const img = await image.layout.image(appPath);
    await image.daemon.write(APP, img, { host: dockerHost });
    for (const args of [[], ['--entrypoint', '/cnb/process/worker', APP, 'extra-arg']]) {
      const a =
        args.length === 0
          ? ['run', '--rm', '--network', 'none', APP]
          : ['run', '--rm', '--network', 'none', ...args];
      console.log(`\n$ docker ${a.join(' ')}`);
      spawnSync('docker', ['-H', dockerHost, ...a], { stdio: 'inherit' });
    }
    ran = true;
  } catch (e) {
    console.log(
      `\n(Docker engine at ${dockerHost} not usable: ${e.message}; running with the launcher here instead)`,
    );
  }
}
if (!ran) {
  const proc = join(work, 'process');
  mkdirSync(proc, { recursive: true });
  for (const t of processes) symlinkSync(join(bin, 'launcher'), join(proc, t));
  const launchEnv = {
    PATH: process.env.PATH,
    CNB_LAYERS_DIR: layers,
    CNB_APP_DIR: app,
    CNB_PLATFORM_API: '0.12',
  };
  for (const [label, cmd, args] of [
    ['web (the default process)', join(proc, 'web'), []],
    ['worker, with an extra argument', join(proc, 'worker'), ['extra-arg']],
  ]) {
    console.log(`\n=== ${label}, started by the launcher on this machine from the built layers`);
    spawnSync(cmd, args, { env: launchEnv, stdio: 'inherit' });
  }
}
console.log(`
To run the image with Docker:
  skopeo copy oci:${appPath} docker-daemon:${APP} && docker run --rm ${APP}
  (or: docker run --rm --entrypoint /cnb/process/worker ${APP})`);
