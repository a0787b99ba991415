// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
// The generated-dir layout per Platform API (D-314): from 0.13 an extension's bin/generate writes into
// `<generated>/<extension id>/` and the extender builds with its `context.build` (else `context`) dir
// (platform-0.13.md "extender"; image-extension.md "Context"); before, the detector copies Dockerfiles to
// `<generated>/build/<extension id>/Dockerfile` and the context is `<app>` (platform.md "detector"
// Outputs). The detector runs here; the extender in a container of the build image on a real engine.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveBaseImage } from '../../src/extend/index.ts';
import { writeAnalyzed } from '../../src/files/index.ts';
import { cleanupLifecycle, ok, phase, show } from '../e2e/helpers.ts';
import { lifecycleTar } from '../extender/helpers.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { buildBaseImage, type Published, publish, runContainer, showRun } from '../support/platform/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';

const BUILD_DOCKERFILE = [
  'ARG base_image',
  'FROM ${base_image}',
  'ARG user_id',
  'ARG group_id',
  'USER root',
  'COPY ctx.txt /opt/ctx.txt',
  'USER ${user_id}:${group_id}',
].join('\n');

/** bin/generate: a build.Dockerfile, and the context dir `<platform>/ctx` names (if any) with `ctx.txt`. */
const GENERATE = `#!/bin/sh
set -e
out="$1"
CTX=$(cat "$2/ctx" 2>/dev/null || true)
cat > "$out/build.Dockerfile" <<'EOF'
${BUILD_DOCKERFILE}
EOF
if [ -n "$CTX" ]; then mkdir -p "$out/$CTX"; echo "from $CTX" > "$out/$CTX/ctx.txt"; fi
`;

const BP = {
  toml: 'api = "0.12"\n[buildpack]\nid = "test/bp"\nversion = "0.1"\n',
  build: '#!/bin/sh\necho "ctx: $(cat /opt/ctx.txt)"\n',
};

describe('generated dir layout and build context per Platform API (D-314)', () => {
  let dockerd: Dockerd;
  let registry: RegistryHandle;
  let build: Published;
  let lifecycle: Buffer;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apis-generated-'));
    await chmod(dir, 0o755);
    [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
    build = await publish(registry.host, 'build:latest', await buildBaseImage(), { dockerd });
    lifecycle = await lifecycleTar({
      'cnb/buildpacks/test_bp/0.1/buildpack.toml': [BP.toml, 0o644],
      'cnb/buildpacks/test_bp/0.1/bin/build': [BP.build, 0o755],
      'cnb/buildpacks/test_bp/0.1/bin/detect': ['#!/bin/sh\nexit 0\n', 0o755],
    });
    // The host-side buildpack and extension the detector runs.
    const files: [string, string, number][] = [
      ['buildpacks/test_bp/0.1/buildpack.toml', BP.toml, 0o644],
      ['buildpacks/test_bp/0.1/bin/detect', '#!/bin/sh\nexit 0\n', 0o755],
      ['buildpacks/test_bp/0.1/bin/build', BP.build, 0o755],
      [
        'extensions/test_ext/0.1/extension.toml',
        'api = "0.12"\n[extension]\nid = "test/ext"\nversion = "0.1"\n',
        0o644,
      ],
      ['extensions/test_ext/0.1/bin/detect', '#!/bin/sh\nexit 0\n', 0o755],
      ['extensions/test_ext/0.1/bin/generate', GENERATE, 0o755],
      [
        'order.toml',
        '[[order]]\n[[order.group]]\nid = "test/bp"\nversion = "0.1"\n[[order-extensions]]\n[[order-extensions.group]]\nid = "test/ext"\nversion = "0.1"\n',
        0o644,
      ],
    ];
    for (const [rel, text, mode] of files) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), text);
      await chmod(join(dir, rel), mode);
    }
  });
  after(async () => {
    await Promise.allSettled([dockerd?.stop(), registry?.stop()]);
    await rm(dir, { recursive: true, force: true });
    await cleanupLifecycle();
  });

  /** Detects at `api` (bin/generate makes `ctx` as its context dir), then runs `extender -kind build`. */
  async function detectAndExtend(name: string, api: string, ctx: string) {
    const ws = join(dir, name);
    const [layers, app, platform, kaniko] = ['layers', 'app', 'platform', 'kaniko'].map((d) =>
      join(ws, d),
    ) as [string, string, string, string];
    for (const d of [layers, app, platform, kaniko]) await mkdir(d, { recursive: true });
    await chmod(ws, 0o777);
    await chmod(layers, 0o777);
    await writeFile(join(app, 'ctx.txt'), 'from the app\n');
    await writeFile(join(platform, 'ctx'), ctx);
    const target = { os: 'linux', arch: 'amd64' };
    await writeAnalyzed(join(layers, 'analyzed.toml'), { runImage: { reference: build.ref, target } });
    const env = { CNB_PLATFORM_API: api, CNB_EXPERIMENTAL_MODE: 'warn', HOME: ws };
    const dirs = ['-app', app, '-layers', layers, '-platform', platform, '-order', join(dir, 'order.toml')];
    const more = ['-buildpacks', join(dir, 'buildpacks'), '-extensions', join(dir, 'extensions')];
    ok(await phase('detector', [...dirs, ...more], env), `detector ${api}`);
    const generated = (await readdir(join(layers, 'generated'))).sort();
    // What the restorer adds for the extender: the build image and its saved manifest and config.
    await writeAnalyzed(join(layers, 'analyzed.toml'), {
      buildImage: { reference: build.ref },
      runImage: { reference: build.ref, target },
    });
    await saveBaseImage(kaniko, build.image);
    const r = await runContainer(dockerd, {
      image: build.name,
      user: '0:0',
      network: 'none',
      cmd: ['/cnb/lifecycle/extender', '-kind', 'build', '-uid', '1000', '-gid', '1000'],
      env: { CNB_PLATFORM_API: api, CNB_EXPERIMENTAL_MODE: 'warn' },
      binds: [`${layers}:/layers`, `${app}:/workspace`, `${kaniko}:/kaniko`, `${platform}:/platform`],
      copyIn: [lifecycle],
    });
    return { layers, generated, extender: r };
  }

  it('0.13: bin/generate writes <generated>/test_ext/, the extender copies from context.build', async () => {
    const r = await detectAndExtend('c13-build', '0.13', 'context.build');
    assert.deepEqual(r.generated, ['test_ext']);
    assert.ok((await stat(join(r.layers, 'generated', 'test_ext', 'build.Dockerfile'))).isFile());
    assert.equal(r.extender.code, 0, showRun(r.extender));
    assert.match(r.extender.stdout, /ctx: from context\.build/);
  });

  it('0.13: the shared context dir when there is no context.build', async () => {
    const r = await detectAndExtend('c13-shared', '0.13', 'context');
    assert.equal(r.extender.code, 0, showRun(r.extender));
    assert.match(r.extender.stdout, /ctx: from context$/m);
  });

  it('0.13: <app> is the context when the extension outputs none', async () => {
    const r = await detectAndExtend('c13-app', '0.13', '');
    assert.equal(r.extender.code, 0, showRun(r.extender));
    assert.match(r.extender.stdout, /ctx: from the app/);
  });

  it('0.12: Dockerfiles go to <generated>/build/test_ext/Dockerfile and <app> is the context', async () => {
    const r = await detectAndExtend('c12', '0.12', 'context.build');
    assert.deepEqual(r.generated, ['build']);
    assert.ok((await stat(join(r.layers, 'generated', 'build', 'test_ext', 'Dockerfile'))).isFile());
    assert.equal(r.extender.code, 0, showRun(r.extender));
    assert.match(r.extender.stdout, /ctx: from the app/);
  });

  it('a shared context together with context.build fails generation (exit 92)', async () => {
    const ws = join(dir, 'both');
    await mkdir(join(ws, 'layers'), { recursive: true });
    await writeFile(join(ws, 'ctx'), 'context.build');
    const gen = join(dir, 'extensions', 'test_ext', '0.1', 'bin', 'generate');
    await writeFile(gen, `${GENERATE}mkdir -p "$out/context"\n`);
    try {
      const args = [
        '-app',
        ws,
        '-layers',
        join(ws, 'layers'),
        '-platform',
        ws,
        '-order',
        join(dir, 'order.toml'),
      ];
      const r = await phase(
        'detector',
        [...args, '-buildpacks', join(dir, 'buildpacks'), '-extensions', join(dir, 'extensions')],
        { CNB_PLATFORM_API: '0.13', HOME: ws },
      );
      assert.equal(r.code, 92, show(r));
      assert.match(r.stderr, /context\.build is given together with the shared context/);
    } finally {
      await writeFile(gen, GENERATE);
    }
  });
});
