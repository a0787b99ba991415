import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { remote } from '../../src/image/index.ts';
import { type Dockerd, dockerCli, startDockerd } from '../support/docker.ts';
import {
  buildBaseImage,
  type Published,
  publish,
  runBaseImage,
  runContainer,
  showRun,
} from '../support/platform/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { lifecycleTar } from './helpers.ts';

/**
 * pack's untrusted flow with image extensions, each phase in its own container on the real engine
 * (platform.md "Build Flow"): analyzer, detector (running the extension's bin/generate), restorer
 * `-build-image`, extender `-kind build` in the builder, extender `-kind run` in the run image,
 * exporter `-extended`; then the app image runs.
 */

const exec = promisify(execFile);
let dockerd: Dockerd;
let registry: RegistryHandle;
let build: Published;
let runImage: Published;
let dir: string;

const GENERATE = `#!/bin/sh
set -e
cat > "$CNB_OUTPUT_DIR/build.Dockerfile" <<'EOF2'
ARG base_image
FROM \${base_image}
USER root
RUN mkdir -p /opt/build-ext && echo "tool from the build extension" > /opt/build-ext/tool.txt
ARG user_id
ARG group_id
USER \${user_id}:\${group_id}
EOF2
cat > "$CNB_OUTPUT_DIR/run.Dockerfile" <<'EOF2'
ARG base_image
FROM \${base_image}
USER root
RUN mkdir -p /opt/run-ext && echo "runtime from the run extension" > /opt/run-ext/file && rm /etc/run-image
LABEL io.buildpacks.rebasable=true
ARG user_id
ARG group_id
USER \${user_id}:\${group_id}
EOF2
`;

const BUILD = `#!/bin/sh
set -e
echo "buildpack sees: $(cat /opt/build-ext/tool.txt)"
cat > "$CNB_LAYERS_DIR/launch.toml" <<'EOF2'
[[processes]]
type = "web"
command = ["cat", "/opt/run-ext/file"]
default = true
EOF2
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extender-flow-'));
  [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  [build, runImage] = await Promise.all([
    buildBaseImage().then((i) => publish(registry.host, 'flow/build:latest', i, { dockerd })),
    runBaseImage('a').then((i) => publish(registry.host, 'flow/run:latest', i, { dockerd })),
  ]);
});
after(async () => {
  await Promise.allSettled([dockerd?.stop(), registry?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe("pack's untrusted flow with image extensions", () => {
  it('extends the build and run images and exports an app image that runs on the extended run image', async () => {
    const tar = await lifecycleTar({
      'cnb/buildpacks/test_bp/0.1/buildpack.toml': [
        'api = "0.12"\n[buildpack]\nid = "test/bp"\nversion = "0.1"\n',
        0o644,
      ],
      'cnb/buildpacks/test_bp/0.1/bin/detect': ['#!/bin/sh\nexit 0\n', 0o755],
      'cnb/buildpacks/test_bp/0.1/bin/build': [BUILD, 0o755],
      'cnb/extensions/test_ext/0.1/extension.toml': [
        'api = "0.12"\n[extension]\nid = "test/ext"\nversion = "0.1"\n',
        0o644,
      ],
      'cnb/extensions/test_ext/0.1/bin/generate': [GENERATE, 0o755],
      'cnb/order.toml': [
        '[[order]]\n[[order.group]]\nid = "test/bp"\nversion = "0.1"\n\n[[order-extensions]]\n[[order-extensions.group]]\nid = "test/ext"\nversion = "0.1"\n',
        0o644,
      ],
      'cnb/run.toml': [`[[images]]\nimage = "${runImage.name}"\n`, 0o644],
    });
    const layers = join(dir, 'layers');
    const kaniko = join(dir, 'kaniko');
    const app = join(dir, 'app');
    for (const d of [layers, kaniko, app]) await mkdir(d, { recursive: true });
    const appName = `${registry.host}/flow/app:latest`;
    const binds = [`${layers}:/layers`, `${app}:/workspace`, `${kaniko}:/kaniko`];
    const env = { CNB_PLATFORM_API: '0.12', CNB_EXPERIMENTAL_MODE: 'warn' };
    const ids = ['-uid', '1000', '-gid', '1000', '-log-level', 'debug'];
    const phase = async (image: string, name: string, args: readonly string[], user = '0:0') => {
      const r = await runContainer(dockerd, {
        image,
        user,
        cmd: [`/cnb/lifecycle/${name}`, ...args],
        env,
        binds,
        copyIn: [tar],
      });
      assert.equal(r.code, 0, `${name}: ${showRun(r)}`);
      return r;
    };
    await phase(build.name, 'analyzer', [...ids, appName]);
    await phase(build.name, 'detector', ['-log-level', 'debug'], '1000:1000');
    await phase(build.name, 'restorer', [...ids, '-build-image', build.name]);
    const [b, r] = await Promise.all([
      phase(build.name, 'extender', [...ids, '-kind', 'build']),
      phase(runImage.name, 'extender', [...ids, '-kind', 'run']),
    ]);
    assert.match(b.stdout, /buildpack sees: tool from the build extension/);
    void r;
    await phase(build.name, 'exporter', [...ids, '-extended', '/layers/extended', appName]);

    const appImage = await remote.image(appName);
    assert.equal(appImage.config.config.Labels?.['io.buildpacks.rebasable'], 'true');
    const { stdout } = await exec(dockerCli(), ['run', '--rm', '--network', 'none', appName], {
      env: { ...process.env, DOCKER_HOST: dockerd.host },
    }).catch(async () => {
      await exec(dockerCli(), ['pull', '-q', appName], {
        env: { ...process.env, DOCKER_HOST: dockerd.host },
      });
      return exec(dockerCli(), ['run', '--rm', '--network', 'none', appName], {
        env: { ...process.env, DOCKER_HOST: dockerd.host },
      });
    });
    assert.equal(stdout, 'runtime from the run extension\n');
  });
});
