import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { LIFECYCLE_VERSION } from '../../src/platform/index.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { lifecycleSnapshot, removeLifecycleSnapshot } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { analyzeInContainer, dockerRun } from './containers.ts';

const run = promisify(execFile);
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
/** musl's loader, so that the busybox image looks like a musl distribution (Debian: musl). */
const MUSL = ['/usr/lib/x86_64-linux-musl/libc.so', '/lib/x86_64-linux-musl/libc.so'].find((p) =>
  existsSync(p),
);

/** A rootfs dir holding dist/lifecycle as /cnb/lifecycle (hard links, symlinks as they are). */
async function withLifecycle(root: string, dist: string): Promise<void> {
  await mkdir(join(root, 'cnb'), { recursive: true, mode: 0o755 });
  await run('cp', ['-al', dist, join(root, 'cnb', 'lifecycle')]);
}

async function importRootfs(d: Dockerd, root: string, name: string): Promise<void> {
  const file = `${root}.tar`;
  await run('tar', ['--owner=0', '--group=0', '-C', root, '-cf', file, '.']);
  await d.docker(['import', file, name]);
}

/** A busybox "distribution": static busybox, musl's loader, passwd with a build user, /tmp. */
async function busyboxRootfs(root: string): Promise<void> {
  if (!BUSYBOX) throw new Error('busybox is missing: install it with `apt-get install -y busybox-static`');
  for (const d of ['bin', 'etc', 'lib', 'tmp']) await mkdir(join(root, d), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'cat', 'echo', 'env', 'grep', 'ls', 'test', 'id'])
    await symlink('busybox', join(root, 'bin', a));
  if (MUSL) await copyFile(MUSL, join(root, 'lib', 'ld-musl-x86_64.so.1'));
  await writeFile(
    join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n',
  );
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\ncnb:x:1000:\n');
}

/**
 * The self-contained /cnb/lifecycle (D-250) in containers on the real Docker engine: an image with
 * nothing but /cnb/lifecycle (no libc, no shell, no /usr/bin/env), and a busybox/musl image.
 */
describe('dist/lifecycle needs nothing from the image (D-250, D-251)', () => {
  let work: string;
  let dockerd: Dockerd;
  let registry: RegistryHandle;
  const BARE = 'lifecycle-only:test';
  const BB = 'busybox-musl:test';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'self-contained-'));
    await chmod(work, 0o755);
    const dist = await lifecycleSnapshot();
    [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
    const bare = join(work, 'bare');
    await withLifecycle(bare, dist);
    await importRootfs(dockerd, bare, BARE);
    const bb = join(work, 'busybox');
    await busyboxRootfs(bb);
    await withLifecycle(bb, dist);
    await importRootfs(dockerd, bb, BB);
  });
  after(async () => {
    await Promise.all([dockerd?.stop(), registry?.stop()]);
    await rm(work, { recursive: true, force: true });
    await removeLifecycleSnapshot();
  });

  it('runs `lifecycle -version` and `<phase> -version` in an image without libc or shell', async () => {
    const sh = await dockerRun(dockerd, ['--network', 'none', BARE, '/bin/sh', '-c', 'true']);
    assert.notEqual(sh.code, 0, 'the image has no shell');
    const v = await dockerRun(dockerd, ['--network', 'none', BARE, '/cnb/lifecycle/lifecycle', '-version']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), LIFECYCLE_VERSION);
    for (const phase of ['analyzer', 'detector', 'exporter', 'creator']) {
      const p = await dockerRun(dockerd, [
        '--network',
        'none',
        '-e',
        'CNB_PLATFORM_API=0.12',
        BARE,
        `/cnb/lifecycle/${phase}`,
        '-version',
      ]);
      assert.equal(p.code, 0, `${phase}: ${p.stderr}`);
      assert.equal(p.stdout.trim(), LIFECYCLE_VERSION, phase);
    }
    const sub = await dockerRun(dockerd, [
      '--network',
      'none',
      BARE,
      '/cnb/lifecycle/lifecycle',
      'detector',
      'x',
    ]);
    assert.equal(sub.code, 11, 'the Platform API is checked first');
  });

  it("is not broken by a platform's NODE_OPTIONS or LD_PRELOAD", async () => {
    const v = await dockerRun(dockerd, [
      '--network',
      'none',
      '-e',
      'NODE_OPTIONS=--require /nonexistent.js',
      '-e',
      'LD_PRELOAD=/nonexistent.so',
      '-e',
      'NODE_ICU_DATA=/nonexistent',
      BARE,
      '/cnb/lifecycle/lifecycle',
      '-version',
    ]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), LIFECYCLE_VERSION);
  });

  it('runs the analyzer against a registry in the image without libc or shell', async () => {
    const { run: r, analyzed, runDigest } = await analyzeInContainer(dockerd, registry, BARE, work);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(analyzed?.['run-image']?.['reference'], `${registry.host}/run/base@${runDigest}`);
  });

  it('runs the detector as a build user in a busybox/musl image, with NODE_OPTIONS set', async () => {
    const ws = join(work, 'detect');
    const bp = join(ws, 'buildpacks', 'example_hello', '0.0.1');
    await mkdir(join(bp, 'bin'), { recursive: true });
    await mkdir(join(ws, 'app'));
    await mkdir(join(ws, 'layers'));
    await mkdir(join(ws, 'platform'));
    await writeFile(join(ws, 'app', 'hello.txt'), 'hi\n');
    await writeFile(
      join(bp, 'buildpack.toml'),
      'api = "0.10"\n[buildpack]\nid = "example/hello"\nversion = "0.0.1"\n[[stacks]]\nid = "*"\n',
    );
    await writeFile(
      join(bp, 'bin', 'detect'),
      // the lifecycle's own start-up plumbing does not leak into the build environment
      // (nor the runtime's malloc tunables, D-437)
      '#!/bin/sh\ntest -f hello.txt || exit 100\nif env | grep -q "CNB_LIFECYCLE_\\|GLIBC_TUNABLES"; then env >&2; exit 1; fi\nexit 0\n',
    );
    await writeFile(join(bp, 'bin', 'build'), '#!/bin/sh\nexit 0\n');
    await chmod(join(bp, 'bin', 'detect'), 0o755);
    await chmod(join(bp, 'bin', 'build'), 0o755);
    await writeFile(
      join(ws, 'order.toml'),
      '[[order]]\n[[order.group]]\nid = "example/hello"\nversion = "0.0.1"\n',
    );
    await chmod(join(ws, 'layers'), 0o777);
    await chmod(ws, 0o755);
    const r = await dockerRun(dockerd, [
      '--network',
      'none',
      '--user',
      '1000:1000',
      '-v',
      `${ws}:/ws`,
      '-e',
      'CNB_PLATFORM_API=0.12',
      '-e',
      'NODE_OPTIONS=--require /nonexistent.js',
      '-e',
      'GLIBC_TUNABLES=glibc.malloc.perturb=0',
      BB,
      '/cnb/lifecycle/detector',
      '-app',
      '/ws/app',
      '-buildpacks',
      '/ws/buildpacks',
      '-order',
      '/ws/order.toml',
      '-layers',
      '/ws/layers',
      '-platform',
      '/ws/platform',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const group = await readFile(join(ws, 'layers', 'group.toml'), 'utf8');
    assert.match(group, /id = "example\/hello"/);
  });
});
