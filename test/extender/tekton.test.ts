// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { remote } from '../../src/image/index.ts';
import { output } from '../platforms/checks.ts';
import { type Pod, pod } from '../platforms/drivers/pod.ts';
import { tektonPhases } from '../platforms/drivers/tekton.ts';
import { startWorld, type World } from '../support/platform/index.ts';

/**
 * Tekton's `buildpacks-phases` task (0.3) on a builder with an image extension: its get-labels-and-env
 * step sees the extension label, so the task runs the `extender` step (build image extension, then the
 * build phase in the same container) instead of `build`, at the task's Platform API 0.13 with the
 * extension's `context.build` dir as the build context; the app image is exported and runs.
 * The extension and buildpack are written here (offline: no package downloads).
 */

const GENERATE = `#!/bin/sh
set -e
mkdir -p "$CNB_OUTPUT_DIR/context.build"
echo "from the extension's build context" > "$CNB_OUTPUT_DIR/context.build/ctx.txt"
cat > "$CNB_OUTPUT_DIR/build.Dockerfile" <<'EOF'
ARG base_image
FROM \${base_image}
ARG user_id
ARG group_id
USER root
RUN mkdir -p /opt/tekton-ext/bin && printf '#!/bin/sh\\necho "tool of the tekton extension"\\n' > /opt/tekton-ext/bin/ext-tool && chmod 755 /opt/tekton-ext/bin/ext-tool
COPY ctx.txt /opt/tekton-ext/ctx.txt
ENV PATH=/opt/tekton-ext/bin:\${PATH}
USER \${user_id}:\${group_id}
EOF
`;

const BUILD = `#!/bin/sh
set -e
echo "buildpack runs: $(ext-tool) as $(id -u):$(id -g) HOME=$HOME"
echo "context file: $(cat /opt/tekton-ext/ctx.txt)"
cat > "$CNB_LAYERS_DIR/launch.toml" <<'EOF'
[[processes]]
type = "web"
command = ["echo", "app built with the tekton extension"]
default = true
EOF
`;

async function modules(root: string): Promise<string> {
  const files: Record<string, [string, number]> = {
    'test_bp/0.1/buildpack.toml': ['api = "0.10"\n[buildpack]\nid = "test/bp"\nversion = "0.1"\n', 0o644],
    'test_bp/0.1/bin/detect': ['#!/bin/sh\nexit 0\n', 0o755],
    'test_bp/0.1/bin/build': [BUILD, 0o755],
    'test_ext/0.1/extension.toml': ['api = "0.10"\n[extension]\nid = "test/ext"\nversion = "0.1"\n', 0o644],
    'test_ext/0.1/bin/generate': [GENERATE, 0o755],
  };
  for (const [path, [text, mode]] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
    await chmod(join(root, path), mode);
  }
  return root;
}

describe("Tekton's buildpacks-phases task with an image extension", { timeout: 1_800_000 }, () => {
  let w: World;
  const pods: Pod[] = [];
  before(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'tekton-ext-modules-'));
    w = await startWorld({
      modulesDir: await modules(dir),
      order: [[{ id: 'test/bp' }]],
      orderExtensions: [[{ id: 'test/ext' }]],
      lifecycleImage: false,
    });
  });
  after(async () => {
    for (const p of pods) await p.remove();
    await w?.stop();
  });

  it('runs the extender step in place of build; buildpacks see the extended build image; the app runs', async () => {
    const p = await pod(w.scratch);
    const cachePod = await pod(w.scratch);
    pods.push(p, cachePod);
    const src = join(w.scratch, 'app');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'README'), 'an app\n');
    await p.fill('source', src, 1000, 1000);
    const appImage = `${w.host}/tekton/extended-app:latest`;
    const { runs, digest } = await tektonPhases(w, p, cachePod, {
      APP_IMAGE: appImage,
      CNB_BUILDER_IMAGE: w.builder.name,
    });
    const log = output(runs);
    assert.match(log, /buildpack runs: tool of the tekton extension as 1000:1000 HOME=\/home\/cnb/, log);
    // the task's Platform API (0.13): the build context is the extension's context.build dir
    assert.match(log, /context file: from the extension's build context/);
    const app = await remote.image(`${appImage.replace(/:latest$/, '')}@${digest}`, {
      env: { CNB_REGISTRY_AUTH: w.registryAuth },
    });
    assert.ok(
      !app.config.config.Env?.some((e) => e.includes('/opt/tekton-ext')),
      'build image extension does not reach the app image',
    );
    const { stdout } = await w.dockerd.docker(['run', '--rm', '--network', 'none', appImage]);
    assert.equal(String(stdout), 'app built with the tekton extension\n');
  });
});
