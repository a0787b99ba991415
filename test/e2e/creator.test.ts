import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readReport } from '../../src/files/index.ts';
import { layout, remote } from '../../src/image/index.ts';
import { baseImage, cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import type { PhaseRun } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  AS_ROOT,
  blobUploads,
  cleanupLifecycle,
  creatorFlags,
  deadPort,
  dockerRun,
  e2eLines,
  jsonLabel,
  ok,
  phase,
  pushRunImage,
  show,
  type Workspace,
  workspace,
} from './helpers.ts';

const USER = 'e2e-user';
const PASS = 'e2e-Pa55word';
const BASIC = Buffer.from(`${USER}:${PASS}`).toString('base64');

// platform.md "creator"; docs/reference-behaviour.md §7 (creator), §0.8 (keychain), §0.9 (targets), §1 (run
// image from run.toml), §6 (export), §11 (caches).
describe('e2e: creator to a registry, the docker daemon and an OCI layout', () => {
  let reg: RegistryHandle;
  let sec: RegistryHandle; // htpasswd
  let d: Dockerd;
  let run: Awaited<ReturnType<typeof pushRunImage>>;
  const spaces: Workspace[] = [];
  const authEnv = () => ({ CNB_REGISTRY_AUTH: JSON.stringify({ [sec.host]: `Basic ${BASIC}` }) });

  /** A fresh workspace, removed after the suite. */
  const space = async () => {
    const ws = await workspace('e2e-creator-');
    spaces.push(ws);
    return ws;
  };
  /** One creator run on fresh <app> and <layers>, as a platform does for every build. */
  const create = async (
    ws: Workspace,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<PhaseRun> => {
    await ws.fresh();
    return phase('creator', [...(await creatorFlags(ws)), ...args], ws.env(env));
  };
  const WEB = (ws: Workspace) =>
    `app: Hello, app! mode=production execd=set-by-exec.d cwd=${ws.app} args=serve\n`;

  before(async () => {
    [reg, sec, d] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: { user: USER, pass: PASS } }),
      startDockerd(),
    ]);
    run = await pushRunImage(reg.host);
    await pushRunImage(sec.host, 'e2e/run', authEnv());
  });
  after(async () => {
    await Promise.all([reg?.stop(), sec?.stop(), d?.stop(), ...spaces.map((ws) => ws.cleanup())]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  it('registry: -tag, -cache-image, then -previous-image reuses layers and restores from the cache image', async () => {
    const ws = await space();
    const [app1, tag1, app2, cache] = ['app:1', 'app:1-extra', 'app:2', 'cache:latest'].map(
      (n) => `${reg.host}/e2e/${n}`,
    );
    const common = ['-run-image', run.name, '-cache-image', cache!];
    const r1 = ok(await create(ws, [...common, '-tag', tag1!, app1!]), 'creator #1');
    const headers = r1.stdout.split('\n').filter((l) => l.startsWith('===> '));
    assert.deepEqual(headers, [
      '===> ANALYZING',
      '===> DETECTING',
      '===> RESTORING',
      '===> BUILDING',
      '===> EXPORTING',
    ]);
    const report = await readReport(join(ws.layers, 'report.toml'));
    assert.deepEqual(report.image.tags, [app1, tag1]);
    const img1 = await remote.image(app1!);
    assert.equal(report.image.digest, img1.digest);
    assert.equal((await remote.image(tag1!)).digest, img1.digest, '-tag names the same image');
    const cacheImg = await remote.image(cache!);
    const cacheMeta = jsonLabel(cacheImg, 'io.buildpacks.lifecycle.cache.metadata') as {
      buildpacks: { key: string; layers: Record<string, unknown> }[];
    };
    assert.deepEqual(Object.keys(cacheMeta.buildpacks[0]?.layers ?? {}).sort(), ['deps', 'runtime']);
    assert.equal((await dockerRun(d, app1!)).stdout, WEB(ws));

    const before = blobUploads(reg).length;
    const r2 = ok(await create(ws, [...common, '-previous-image', app1!, app2!]), 'creator #2');
    assert.match(r2.stdout, /Restoring data for "e2e\/runtime:deps" from cache/);
    assert.deepEqual(e2eLines(r2).slice(0, 3), [
      'e2e: store.toml restored: builds = 1',
      'e2e: runtime layer restored from cache',
      'e2e: deps restored from cache: build 1 version 1',
    ]);
    for (const l of ['runtime', 'version'])
      assert.match(r2.stdout, new RegExp(`Reusing layer 'e2e/runtime:${l}'`));
    const img2 = await remote.image(app2!);
    assert.deepEqual(img2.config.rootfs.diff_ids, img1.config.rootfs.diff_ids);
    const layers = new Set(img2.layers.map((l) => l.digest));
    assert.deepEqual(
      blobUploads(reg)
        .slice(before)
        .filter((u) => layers.has(u)),
      [],
      'no app image layer uploaded again',
    );
    assert.equal((await dockerRun(d, app2!)).stdout, WEB(ws));
  });

  it('reproducible: two clean builds of the same inputs give the same manifest digest', async () => {
    const ws = await space();
    const digests: string[] = [];
    for (const repo of ['repro-a', 'repro-b']) {
      await rm(ws.cache, { recursive: true, force: true });
      await mkdir(ws.cache);
      const name = `${reg.host}/e2e/${repo}:latest`;
      ok(await create(ws, ['-run-image', run.name, '-cache-dir', ws.cache, name]), `creator ${repo}`);
      digests.push((await remote.image(name)).digest);
    }
    assert.equal(digests[0], digests[1]);
  });

  // §0.8: started as root, the creator hands the dirs to CNB_USER_ID and drops privileges; a platform
  // (pack) gives it a daemon socket that only root can open. The reference opens its daemon connection
  // before dropping privileges and keeps it alive (§7: it pings the daemon every 500 ms during build).
  it('-daemon, started as root with a build user and a socket only root can open: the image runs', async () => {
    const ws = await space();
    await d.docker(['pull', '-q', run.name]);
    const r = await create(ws, ['-daemon', '-run-image', run.name, 'e2e/daemon-root:latest'], {
      DOCKER_HOST: d.host,
    });
    ok(r, 'creator -daemon');
    const out = await dockerRun(d, 'e2e/daemon-root:latest', { pull: false });
    assert.equal(out.stdout, WEB(ws));
  });

  it('-daemon -launch-cache (socket open to the build group): a rebuild reuses layers through the launch cache', async () => {
    const ws = await space();
    // The platform grants the build user's group access to the socket (like `docker run --group-add`).
    await chmod(dirname(d.socket), 0o711);
    await chown(d.socket, 0, 3333);
    await chmod(d.socket, 0o660);
    const launchCache = join(ws.root, 'launch-cache');
    await mkdir(launchCache);
    await d.docker(['pull', '-q', run.name]);
    const args = ['-daemon', '-run-image', run.name, '-cache-dir', ws.cache, '-launch-cache', launchCache];
    const env = { DOCKER_HOST: d.host };
    ok(await create(ws, [...args, 'e2e/daemon-app:latest'], env), 'creator -daemon #1');
    const report = await readReport(join(ws.layers, 'report.toml'));
    assert.match(report.image.imageId ?? '', /^[0-9a-f]{64}$/);
    assert.equal((await dockerRun(d, 'e2e/daemon-app:latest', { pull: false })).stdout, WEB(ws));
    const stored = (await readdir(join(launchCache, 'committed'))).filter((f) => f.endsWith('.tar'));
    assert.ok(stored.length >= 3, `added layers are kept in the launch cache: ${stored}`);

    const r2 = ok(await create(ws, [...args, 'e2e/daemon-app:latest'], env), 'creator -daemon #2');
    for (const l of ['runtime', 'version'])
      assert.match(r2.stdout, new RegExp(`Reusing layer 'e2e/runtime:${l}'`));
    const report2 = await readReport(join(ws.layers, 'report.toml'));
    assert.notEqual(report2.image.imageId, report.image.imageId, 'store.toml changed the label');
    const hello = await dockerRun(d, 'e2e/daemon-app:latest', {
      opts: ['--entrypoint', '/cnb/process/hello'],
      cmd: ['daemon'],
      pull: false,
    });
    assert.equal(hello.stdout, 'Hello, daemon!\n');
  });

  it('-layout (experimental, warn): the image is written to the layout and read back by skopeo', async () => {
    const ws = await space();
    const layoutDir = join(ws.root, 'layout-repo');
    await layout.write(layout.layoutPath(layoutDir, 'e2e-run'), await baseImage('e2e-run'));
    if (AS_ROOT) await chownR(layoutDir);
    const r = ok(
      await create(ws, ['-layout', '-layout-dir', layoutDir, '-run-image', 'e2e-run', 'e2e-layout-app'], {
        CNB_EXPERIMENTAL_MODE: 'warn',
      }),
    );
    assert.match(
      r.stdout + r.stderr,
      /Warning: Platform requested experimental feature 'export to OCI layout format'/,
    );
    const path = join(layoutDir, 'index.docker.io', 'library', 'e2e-layout-app', 'latest');
    const { stdout } = await promisify(execFile)('skopeo', ['inspect', `oci:${path}`]);
    const info = JSON.parse(stdout) as { Digest: string; Labels: Record<string, string>; Env: string[] };
    assert.equal(info.Digest, (await readReport(join(ws.layers, 'report.toml'))).image.digest);
    assert.equal(info.Labels['org.example.e2e'], 'yes');
    assert.ok(info.Env.includes(`CNB_APP_DIR=${ws.app}`), String(info.Env));
    const lc = JSON.parse(info.Labels['io.buildpacks.lifecycle.metadata'] ?? '{}');
    assert.match(lc.runImage.reference, new RegExp(`^${path.replace('e2e-layout-app', 'e2e-run')}@sha256:`));
  });

  it('run.toml (-run): a readable mirror on the app image registry wins (platform.md "Run Image Resolution")', async () => {
    const ws = await space();
    // The image: readable (with credentials) but on another registry; then an unreachable mirror; then
    // a readable mirror on the app image's registry.
    const primary = `${sec.host}/e2e/run:latest`;
    const mirrors = [`127.0.0.1:${await deadPort()}/e2e/run:latest`, run.name];
    const runToml = join(ws.root, 'run.toml');
    await writeFile(runToml, `[[images]]\nimage = "${primary}"\nmirrors = ${JSON.stringify(mirrors)}\n`);
    const name = `${reg.host}/e2e/mirrored:latest`;
    ok(await create(ws, ['-run', runToml, name], authEnv()), 'creator -run');
    const analyzed = (await ws.readToml('layers/analyzed.toml'))['run-image'] as Record<string, string>;
    assert.equal(analyzed['reference'], run.ref);
    assert.equal(analyzed['image'], run.name);
    // platform.md: the mirrors information is the run.toml entry containing the run image.
    const lc = jsonLabel(await remote.image(name), 'io.buildpacks.lifecycle.metadata') as {
      runImage: { reference: string; image: string; mirrors: string[] };
    };
    assert.equal(lc.runImage.reference, run.ref);
    assert.equal(lc.runImage.image, primary);
    assert.deepEqual(lc.runImage.mirrors, mirrors);
  });

  it('a registry with auth: credentials from CNB_REGISTRY_AUTH and from DOCKER_CONFIG, never printed', async () => {
    const ws = await space();
    const runRef = `${sec.host}/e2e/run:latest`;
    const r1 = ok(await create(ws, ['-run-image', runRef, `${sec.host}/e2e/app:env`], authEnv()));
    const dockerConfig = join(ws.root, 'docker-config');
    await mkdir(dockerConfig);
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [sec.host]: { auth: BASIC } } }),
    );
    const r2 = ok(
      await create(ws, ['-run-image', runRef, `${sec.host}/e2e/app:config`], { DOCKER_CONFIG: dockerConfig }),
    );
    for (const r of [r1, r2])
      assert.ok(!(r.stdout + r.stderr).includes(PASS) && !(r.stdout + r.stderr).includes(BASIC));
    const opts = { env: authEnv() };
    const [a, b] = await Promise.all([
      remote.image(`${sec.host}/e2e/app:env`, opts),
      remote.image(`${sec.host}/e2e/app:config`, opts),
    ]);
    assert.deepEqual(a.config.rootfs.diff_ids, b.config.rootfs.diff_ids);
    await d.docker(['login', '-u', USER, '--password-stdin', sec.host], { input: Buffer.from(PASS) });
    assert.equal((await dockerRun(d, `${sec.host}/e2e/app:config`)).stdout, WEB(ws));

    // Without credentials: the analyzer's access check fails, naming the image (exit 32, §1).
    const denied = await create(ws, ['-run-image', runRef, `${sec.host}/e2e/app:anonymous`]);
    assert.equal(denied.code, 32, show(denied));
    assert.ok(
      (denied.stdout + denied.stderr).includes(`access to ${sec.host}/e2e/app:anonymous`),
      show(denied),
    );
    assert.match(denied.stdout + denied.stderr, /HTTP 401/);
  });

  it('an unreachable registry (output or run image): a clear error naming it, with the analyze exit code', async () => {
    const ws = await space();
    const dead = `127.0.0.1:${await deadPort()}`;
    const cases = [
      ['-run-image', run.name, `${dead}/e2e/app:latest`],
      ['-run-image', `${dead}/e2e/run:latest`, `${reg.host}/e2e/unreachable-run:latest`],
    ];
    for (const args of cases) {
      const r = await create(ws, args);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 32, show(r));
      const image = args.find((a) => a.startsWith(dead));
      assert.ok(out.includes('ERROR: ') && out.includes(`access to ${image}`), show(r));
      assert.match(out, /ECONNREFUSED/);
      assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(out, /===> DETECTING/, 'nothing is built');
    }
  });
});

/** Hands a tree to the build user (the creator writes the layout as that user, §0.8). */
async function chownR(dir: string): Promise<void> {
  await promisify(execFile)('chown', ['-R', '2222:3333', dir]);
}
