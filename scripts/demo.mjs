// The README's first command: builds the example app (examples/) with the lifecycle's phases exactly
// as a platform runs them, then starts its processes with the launcher. Needs no server.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist', 'lifecycle');
const work = join(root, 'out', 'demo');
const dirs = {
  app: join(work, 'workspace'),
  layers: join(work, 'layers'),
  platform: join(work, 'platform'),
  buildpacks: join(root, 'examples', 'buildpacks'),
  order: join(root, 'examples', 'order.toml'),
};

if (!existsSync(join(bin, 'detector'))) {
  console.error(`${bin} is missing: run 'npm run build' first`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
cpSync(join(root, 'examples', 'app'), dirs.app, { recursive: true });
mkdirSync(dirs.layers, { recursive: true });
mkdirSync(join(dirs.platform, 'env'), { recursive: true });
writeFileSync(join(dirs.platform, 'env', 'DEMO_USER_ENV'), 'from-the-platform');

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  CNB_PLATFORM_API: '0.12',
  // As root the lifecycle refuses to run buildpacks unless told which user to run them as.
  CNB_USER_ID: String(uid),
  CNB_GROUP_ID: String(gid),
};

function phase(name, args) {
  console.log(`\n$ ${name} ${args.join(' ')}`);
  const r = spawnSync(join(bin, name), args, { env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${name} failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

const common = ['-app', dirs.app, '-layers', dirs.layers, '-platform', dirs.platform, '-buildpacks', dirs.buildpacks];
phase('detector', [...common, '-order', dirs.order]);
phase('builder', common);

console.log('\n=== What was built');
console.log(`group.toml:\n${readFileSync(join(dirs.layers, 'group.toml'), 'utf8')}`);
console.log(`config/metadata.toml (processes for the launcher):\n${readFileSync(join(dirs.layers, 'config', 'metadata.toml'), 'utf8')}`);

// Launch: the launcher reads <layers>/config/metadata.toml; /cnb/process/<type> symlinks pick a process.
const procDir = join(work, 'process');
mkdirSync(procDir, { recursive: true });
for (const type of ['web', 'worker']) symlinkSync(join(bin, 'launcher'), join(procDir, type));
const launchEnv = { ...env, CNB_LAYERS_DIR: dirs.layers, CNB_APP_DIR: dirs.app };
for (const [label, cmd, args] of [
  // The exporter makes /cnb/process/<default type> the image's ENTRYPOINT; here the symlinks stand in.
  ['default process (web) via a /cnb/process/web-style symlink', join(procDir, 'web'), []],
  ['worker process with an extra argument', join(procDir, 'worker'), ['extra-arg']],
  ['direct command after --', join(bin, 'launcher'), ['--', 'hello-runtime', '--version']],
]) {
  console.log(`\n=== Launching the ${label}`);
  const r = spawnSync(cmd, args, { env: launchEnv, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`launcher exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
}
console.log(
  '\nDone. Exporting the result as an OCI image (analyzer/restorer/exporter/creator) is not in this version yet;\n' +
    `the built layers are in ${dirs.layers}.`,
);
