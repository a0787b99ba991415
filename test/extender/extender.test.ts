// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveBaseImage } from '../../src/extend/index.ts';
import { writeAnalyzed } from '../../src/files/index.ts';
import { type Image, layout } from '../../src/image/index.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import {
  buildBaseImage,
  type Published,
  publish,
  runBaseImage,
  runContainer,
  showRun,
} from '../support/platform/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { lifecycleTar, NODE, tarListing } from './helpers.ts';

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

/** Host directories for one extender container: layers (with the detector's outputs), app, kaniko. */
async function workspace(
  name: string,
  kind: 'build' | 'run',
  base: Published,
  dockerfile: string,
  config = '',
) {
  const ws = join(dir, name);
  const layers = join(ws, 'layers');
  const app = join(ws, 'app');
  const kaniko = join(ws, 'kaniko');
  const gen = join(layers, 'generated', kind, 'test_ext');
  await mkdir(gen, { recursive: true });
  await mkdir(app, { recursive: true });
  await mkdir(join(ws, 'platform'), { recursive: true });
  await writeFile(join(app, 'ext-input.txt'), 'hello from the app\n');
  await writeFile(join(gen, 'Dockerfile'), dockerfile);
  if (config) await writeFile(join(gen, 'extend-config.toml'), config);
  await writeFile(
    join(layers, 'group.toml'),
    '[[group]]\nid = "test/bp"\nversion = "0.1"\napi = "0.12"\n\n[[group-extensions]]\nid = "test/ext"\nversion = "0.1"\napi = "0.12"\n',
  );
  await writeFile(join(layers, 'plan.toml'), '');
  await writeAnalyzed(join(layers, 'analyzed.toml'), {
    ...(kind === 'build' ? { buildImage: { reference: build.ref } } : {}),
    runImage: { reference: runImage.ref, image: runImage.name, ...(kind === 'run' ? { extend: true } : {}) },
  });
  // what the restorer saves for the extender
  await saveBaseImage(kaniko, base.image);
  const binds = [
    `${layers}:/layers`,
    `${app}:/workspace`,
    `${kaniko}:/kaniko`,
    `${join(ws, 'platform')}:/platform`,
  ];
  const extend = (args: readonly string[] = []) =>
    runContainer(dockerd, {
      image: base.name,
      user: '0:0',
      network: 'none',
      cmd: [NODE, '/cnb/lifecycle/extender', '-kind', kind, '-log-level', 'debug', ...args],
      env: { CNB_PLATFORM_API: '0.12' },
      binds,
      copyIn: [lifecycle],
    });
  return { ws, layers, app, kaniko, extend };
}

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
  "  && sed -i 's#:/home/cnb:#:/home/extended:#' /etc/passwd \\",
  '  && mkdir -p /home/extended && chown 1000:1000 /home/extended \\',
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
    const w = await workspace(
      'build',
      'build',
      build,
      BUILD_DOCKERFILE,
      '[[build.args]]\nname = "greeting"\nvalue = "hi"\n',
    );
    const r = await w.extend(['-uid', '1000', '-gid', '1000']);
    assert.equal(r.code, 0, showRun(r));
    assert.match(r.stdout, /from-app: hello from the app/, showRun(r));
    assert.match(r.stdout, /ext-tool says hi/);
    assert.match(r.stdout, /HOME=\/home\/extended/);
    assert.match(r.stdout, /uid=1000 gid=1000/);
    assert.match(r.stdout, /build-id: [0-9a-f-]{36}/);
    assert.match(await readFile(join(w.layers, 'config', 'metadata.toml'), 'utf8'), /test\/bp/);
    assert.deepEqual(await readdir(w.kaniko), ['cache']);
  });

  it('-kind run: writes <extended>/run/<digest> with the new layers only, whiteouts, the extended config', async () => {
    const w = await workspace('run', 'run', runImage, RUN_DOCKERFILE);
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
  });

  it('-kind run fails when the final user is root (exit 102)', async () => {
    const w = await workspace(
      'root',
      'run',
      runImage,
      'ARG base_image\nFROM ${base_image}\nUSER root\nRUN true\n',
    );
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
