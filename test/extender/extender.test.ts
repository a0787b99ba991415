// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseLifecycleMetadataLabel, writeAnalyzed } from '../../src/files/index.ts';
import { type Image, layout, remote } from '../../src/image/index.ts';
import { exporter, fixture, ok } from '../exporter/helpers.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { buildBaseImage, type Published, publish, runBaseImage, showRun } from '../support/platform/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  assertSameListing,
  dockerOn,
  type ExtenderEnv,
  exportListing,
  lifecycleTar,
  tarListing,
  workspace,
} from './helpers.ts';

/**
 * The extender in containers of the build and run images on a real Docker engine (platform.md
 * "extender"): Dockerfiles written for the tests (offline), the lifecycle copied into the container as
 * a platform adds it.
 */

let dockerd: Dockerd;
let registry: RegistryHandle;
let build: Published;
let runImage: Published;
let lifecycle: Buffer;
let dir: string;
/** The run extender's workspace, for the export after it. */
let runWs: { layers: string; app: string } | undefined;
const _exec = promisify(execFile);

let docker: (args: readonly string[]) => Promise<string>;
const env = (): ExtenderEnv => ({ dockerd, build, runImage, lifecycle, dir });

const BUILDPACK_TOML = 'api = "0.12"\n[buildpack]\nid = "test/bp"\nversion = "0.1"\n';
const BIN_BUILD = `#!/bin/sh
set -e
echo "from-app: $(cat /opt/ext/from-app.txt)"
ext-tool
echo "HOME=$HOME"
echo "uid=$(id -u) gid=$(id -g)"
echo "build-id: $(cat /opt/ext/build-id)"
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extender-it-'));
  [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  docker = dockerOn(dockerd);
  [build, runImage] = await Promise.all([
    buildBaseImage().then((i) => publish(registry.host, 'build:latest', i, { dockerd })),
    runBaseImage('a').then((i) => publish(registry.host, 'run:latest', i, { dockerd })),
  ]);
  lifecycle = await lifecycleTar({
    'cnb/buildpacks/test_bp/0.1/buildpack.toml': [BUILDPACK_TOML, 0o644],
    'cnb/buildpacks/test_bp/0.1/bin/build': [BIN_BUILD, 0o755],
    'cnb/buildpacks/test_bp/0.1/bin/detect': ['#!/bin/sh\nexit 0\n', 0o755],
  });
});
after(async () => {
  await Promise.allSettled([dockerd?.stop(), registry?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const BUILD_DOCKERFILE = [
  'ARG base_image',
  'FROM ${base_image}',
  'ARG build_id=0',
  'ARG user_id',
  'ARG group_id',
  'ARG greeting',
  'USER root',
  'RUN mkdir -p /opt/ext/bin \\',
  `  && printf '#!/bin/sh\\necho ext-tool says %s\\n' "$greeting" > /opt/ext/bin/ext-tool \\`,
  '  && chmod 755 /opt/ext/bin/ext-tool \\',
  '  && useradd -l -m -d /home/extended -u 1001 -g 1000 -s /bin/sh ext-builder \\',
  '  && echo "$build_id" > /opt/ext/build-id',
  'COPY ext-input.txt /opt/ext/from-app.txt',
  'ENV PATH=/opt/ext/bin:$PATH',
  'USER ${user_id}:${group_id}',
].join('\n');

const RUN_DOCKERFILE = [
  'ARG base_image',
  'FROM ${base_image}',
  'ARG user_id',
  'ARG group_id',
  'USER root',
  'RUN mkdir -p /opt/run-ext && echo run > /opt/run-ext/file && ln -s file /opt/run-ext/link \\',
  '  && ln /opt/run-ext/file /opt/run-ext/hard && chmod 700 /opt/run-ext && chown 1002 /opt/run-ext \\',
  '  && rm /etc/run-image && rm -r /usr/share/zoneinfo/Europe',
  'COPY ext-input.txt /opt/run-ext/from-app.txt',
  'ENV RUN_EXT=yes',
  'LABEL io.buildpacks.rebasable=true',
  'USER ${user_id}:${group_id}',
].join('\n');

describe('extender in containers', () => {
  it('-kind build: buildpacks see the extended build image (a file from the app, PATH, HOME from passwd)', async () => {
    const w = await workspace(env(), {
      name: 'build',
      kind: 'build',
      base: build,
      dockerfile: BUILD_DOCKERFILE,
      config: '[[build.args]]\nname = "greeting"\nvalue = "hi"\n',
    });
    // the build user is one the extension adds (`useradd`): HOME comes from the extended passwd
    const r = await w.extend(['-uid', '1001', '-gid', '1000']);
    assert.equal(r.code, 0, showRun(r));
    assert.match(r.stdout, /from-app: hello from the app/, showRun(r));
    assert.match(r.stdout, /ext-tool says hi/);
    assert.match(r.stdout, /HOME=\/home\/extended/);
    assert.match(r.stdout, /uid=1001 gid=1000/);
    assert.match(r.stdout, /build-id: [0-9a-f-]{36}/);
    assert.match(await readFile(join(w.layers, 'config', 'metadata.toml'), 'utf8'), /test\/bp/);
    assert.deepEqual(await readdir(w.kaniko), ['cache']);
  });

  it('-kind run: writes <extended>/run/<digest> with the new layers only, whiteouts, the extended config', async () => {
    const w = await workspace(env(), {
      name: 'run',
      kind: 'run',
      base: runImage,
      dockerfile: RUN_DOCKERFILE,
    });
    const r = await w.extend();
    assert.equal(r.code, 0, showRun(r));
    const runDir = join(w.layers, 'extended', 'run');
    const [digest, ...more] = await readdir(runDir);
    assert.equal(more.length, 0);
    const img = await layout.image(join(runDir, digest as string));
    const baseLayers = runImage.image.layers.length;
    assert.equal(img.layers.length, baseLayers + 2);
    assert.deepEqual(
      img.layers.slice(0, baseLayers).map((l) => l.diffID),
      runImage.image.layers.map((l) => l.diffID),
    );
    assert.equal(img.config.config.User, '1002:1000');
    assert.equal(img.config.config.Labels?.['io.buildpacks.rebasable'], 'true');
    assert.ok(img.config.config.Env?.includes('RUN_EXT=yes'));
    const blobs = await readdir(join(runDir, digest as string, 'blobs', 'sha256'));
    assert.ok(
      !blobs.includes((runImage.image.layers[0]?.digest ?? '').slice(7)),
      'base layers are not copied',
    );
    const runLayer = await tarListing(await streamBytes(img.layers[baseLayers] as Image['layers'][number]));
    for (const want of [
      'file 0 0:0 0 etc/.wh.run-image',
      'file 0 0:0 0 usr/share/zoneinfo/.wh.Europe',
      'directory 700 1002:0 0 opt/run-ext',
      'file 644 0:0 4 opt/run-ext/file',
      'link 644 0:0 0 opt/run-ext/hard -> opt/run-ext/file',
      'symlink 777 0:0 0 opt/run-ext/link -> file',
    ])
      assert.ok(runLayer.includes(want), `${want} in\n${runLayer.join('\n')}`);
    assert.ok(
      !runLayer.some((l) => /workspace|layers\/|kaniko|cnb\/lifecycle|proc\/|etc\/hosts/.test(l)),
      runLayer.join('\n'),
    );
    assert.deepEqual(await readdir(w.kaniko), ['cache']);
    runWs = w;
  });

  it('exporter -extended: the app image has the extension layers, runs with the added files, rebasable', async () => {
    assert.ok(runWs, 'the run extension test ran first');
    const f = await fixture();
    try {
      await writeAnalyzed(join(f.layers, 'analyzed.toml'), {
        runImage: { reference: runImage.ref, image: runImage.name, extend: true },
      });
      const name = `${registry.host}/app:extended`;
      const r = ok(
        await exporter(
          [...f.flags(), '-extended', join(runWs.layers, 'extended'), '-log-level', 'debug', name],
          { CNB_EXPERIMENTAL_MODE: 'warn' },
        ),
      );
      // extension layers are the experimental Dockerfiles feature before Platform 0.13 (D-303)
      assert.match(r.stderr, /experimental feature 'Dockerfiles'/);
      assert.match(r.stdout, /Adding extension layer test\/ext:extended-layer-3/);
      const app = await remote.image(name);
      const base = runImage.image.layers.length;
      assert.deepEqual(
        app.layers.slice(0, base).map((l) => l.diffID),
        runImage.image.layers.map((l) => l.diffID),
      );
      const ext = await layout.image(
        join(
          runWs.layers,
          'extended',
          'run',
          (await readdir(join(runWs.layers, 'extended', 'run')))[0] as string,
        ),
      );
      assert.deepEqual(
        app.layers.slice(base, base + 2).map((l) => l.diffID),
        ext.layers.slice(base).map((l) => l.diffID),
      );
      assert.equal(app.config.config.Labels?.['io.buildpacks.rebasable'], 'true');
      assert.ok(app.config.config.Env?.includes('RUN_EXT=yes'));
      const md = parseLifecycleMetadataLabel(
        app.config.config.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '',
        name,
      );
      assert.equal(md.runImage?.topLayer, runImage.image.config.rootfs.diff_ids.at(-1));
      await docker(['pull', '-q', name]);
      const out = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        '/bin/sh',
        name,
        '-c',
        'cat /opt/run-ext/from-app.txt; cat /opt/run-ext/file; echo "$RUN_EXT $(id -u)"; test ! -e /etc/run-image && echo gone',
      ]);
      assert.equal(out, 'hello from the app\nrun\nyes 1002\ngone\n');
      // the default process (the fixture's layers dir sits below a 0700 temp dir: run it as root)
      assert.match(await docker(['run', '--rm', '--network', 'none', '--user', '0:0', name]), /Hi world/);

      // the same Dockerfile through `docker build` on the same run image gives the same file tree
      const ctx = join(dir, 'docker-build');
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), RUN_DOCKERFILE);
      await writeFile(join(ctx, 'ext-input.txt'), 'hello from the app\n');
      await docker([
        'build',
        '-q',
        '--network',
        'none',
        '-t',
        'docker-built:run',
        '--build-arg',
        `base_image=${runImage.name}`,
        '--build-arg',
        'user_id=1002',
        '--build-arg',
        'group_id=1000',
        ctx,
      ]);
      // what the exporter adds: the lifecycle, the fixture's layers and app dirs (below its temp root)
      const fixtureRoot = f.root.replace(/^\/+/, '').split('/').slice(0, 2).join('/');
      const added = (l: string) => {
        const path = l.split(' ')[4] ?? '';
        return (
          /^(cnb|layers|workspace)(\/|$)/.test(path) ||
          path === fixtureRoot ||
          path.startsWith(`${fixtureRoot}/`)
        );
      };
      const ours = (await exportListing(docker, name)).filter((l) => !added(l));
      const theirs = (await exportListing(docker, 'docker-built:run')).filter((l) => !added(l));
      assert.ok(
        ours.some((l) => l.endsWith(' opt/run-ext/from-app.txt')),
        'the listing has the extension files',
      );
      assertSameListing(ours, theirs, 'the app image');
    } finally {
      await f.cleanup();
    }
  });

  it('-kind build: a failing RUN exits 102 naming the Dockerfile and line', async () => {
    const w = await workspace(env(), {
      name: 'fail',
      kind: 'build',
      base: build,
      dockerfile: 'ARG base_image\nFROM ${base_image}\n\nRUN echo before\nRUN exit 3\n',
    });
    const r = await w.extend(['-uid', '1000', '-gid', '1000']);
    assert.equal(r.code, 102, showRun(r));
    assert.match(
      r.stderr,
      /generated\/build\/test_ext\/Dockerfile:5: RUN failed: 'RUN exit 3' exited with 3/,
    );
  });

  it('-kind run fails when the final user is root (exit 102)', async () => {
    const w = await workspace(env(), {
      name: 'root',
      kind: 'run',
      base: runImage,
      dockerfile: 'ARG base_image\nFROM ${base_image}\nUSER root\nRUN true\n',
    });
    const r = await w.extend();
    assert.equal(r.code, 102, showRun(r));
    assert.match(r.stderr, /final user ID is 0 \(root\)/);
  });
});

async function streamBytes(l: Image['layers'][number]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await l.uncompressed()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
