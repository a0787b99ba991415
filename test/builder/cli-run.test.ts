import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILDPACKS, groupToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/builder`: how the group runs (platform.md "builder"; buildpack.md
 * "Phase #5: Build", "Build Layers", "Environment Variable Modification Rules"; docs/reference-behaviour.md
 * §5 "`/bin/build` execution contract", "Layers", §10; S-1, S-2).
 */
const PLAN = `[[entries]]
  [[entries.providers]]
    id = "phases/api07"
    version = "0.0.7"
  [[entries.requires]]
    name = "node"
    [entries.requires.metadata]
      version = "18"

[[entries]]
  [[entries.providers]]
    id = "phases/api07"
    version = "0.0.7"
  [[entries.providers]]
    id = "phases/api12"
    version = "0.0.12"
  [[entries.requires]]
    name = "shared"

[[entries]]
  [[entries.providers]]
    id = "phases/api12"
    version = "0.0.12"
  [[entries.requires]]
    name = "only-12"
`;

const ANALYZED = `[run-image]
  reference = ""
  [run-image.target]
    os = "linux"
    arch = "amd64"
    arch-variant = "v3"
    [run-image.target.distro]
      name = "ubuntu"
      version = "24.04"
`;

describe('builder: running the group (black box)', () => {
  let ws: Workspace;
  let run: Awaited<ReturnType<Workspace['builder']>>;
  const bpLayers = (escaped: string) => join(ws.layers, escaped);

  before(async () => {
    ws = await workspace();
    await ws.write(
      'layers/group.toml',
      groupToml(['phases/api07@0.0.7@0.7', 'phases/api10@0.0.10@0.10', 'phases/api12@0.0.12@0.12']),
    );
    await ws.write('layers/plan.toml', PLAN);
    await ws.write('layers/analyzed.toml', ANALYZED);
    // phases/api07 contributes two build layers (applied in toml-name order), a launch-only layer and
    // an all-false layer, and leaves "shared" unmet for the next provider.
    const bp = 'workspace/build/api07';
    await ws.write(`${bp}/build.toml`, '[[unmet]]\nname = "shared"\n');
    await ws.write(`${bp}/aa.toml`, '[types]\nbuild = true\n');
    await ws.write(`${bp}/aa/bin/hello-tool`, '#!/bin/sh\necho "hello from a build layer"\n', 0o755);
    await ws.write(`${bp}/aa/lib/libx.so`, '');
    await ws.write(`${bp}/aa/include/x.h`, '');
    await ws.write(`${bp}/aa/pkgconfig/x.pc`, '');
    await ws.write(`${bp}/aa/env/APPEND_VAR`, 'base');
    await ws.write(`${bp}/aa/env/PREPEND_VAR`, 'base');
    await ws.write(`${bp}/aa/env/DEFAULT_VAR`, 'preset');
    await ws.write(`${bp}/aa/env/OVERRIDE_VAR`, 'first');
    await ws.write(`${bp}/bb.toml`, '[types]\nbuild = true\ncache = true\n');
    await ws.write(`${bp}/bb/env/APPEND_VAR.append`, 'appended');
    await ws.write(`${bp}/bb/env/APPEND_VAR.delim`, ':');
    await ws.write(`${bp}/bb/env/PREPEND_VAR.prepend`, 'pre-');
    await ws.write(`${bp}/bb/env/DEFAULT_VAR.default`, 'ignored');
    await ws.write(`${bp}/bb/env/NEW_DEFAULT.default`, 'set-by-default');
    await ws.write(`${bp}/bb/env/OVERRIDE_VAR.override`, 'second');
    await ws.write(`${bp}/bb/env/IGNORED_VAR.ignore`, 'unknown suffix');
    await ws.write(`${bp}/bb/env.build/BUILD_ONLY`, 'from-env.build');
    await ws.write(`${bp}/bb/env.launch/LAUNCH_ONLY`, 'from-env.launch');
    await ws.write(`${bp}/cc.toml`, '[types]\nlaunch = true\n');
    await ws.write(`${bp}/cc/bin/launch-tool`, '#!/bin/sh\n', 0o755);
    await ws.write(`${bp}/cc/env/LAUNCH_LAYER_VAR`, 'nope');
    await ws.write(`${bp}/dd.toml`, '[types]\nlaunch = false\n');
    await ws.write(`${bp}/dd/file`, 'x');
    await ws.write(`${bp}/no-toml/file`, 'x');
    // phases/api12 uses the tool from the build layer.
    await ws.write('workspace/hooks/api12.build.sh', 'hello-tool >"$PWD/out/tool.txt" 2>&1\n');
    run = await ws.builder([], { LD_LIBRARY_PATH: '/lifecycle/lib' });
  });
  after(() => ws.cleanup());

  it('exits 0 and streams buildpack output to stdout (§5)', () => {
    assert.equal(run.code, 0, show(run));
    assert.match(
      run.stdout,
      /build output from api07\n(.*\n)*build output from api10\n(.*\n)*build output from api12/,
    );
  });

  it('runs the buildpacks in group order, each with cwd <app>', async () => {
    assert.equal(await ws.read('workspace/out/build.order'), 'api07\napi10\napi12\n');
    for (const name of ['api07', 'api10', 'api12'])
      assert.equal((await ws.args(name, 'build'))['cwd'], ws.app, name);
  });

  it('creates <layers>/<escaped id> and passes `<layers>/<escaped id> <platform> <plan>` to every API (S-1, S-2)', async () => {
    for (const [name, escaped] of [
      ['api07', 'phases_api07'],
      ['api10', 'phases_api10'],
      ['api12', 'phases_api12'],
    ] as const) {
      const args = await ws.args(name, 'build');
      assert.equal(args['argc'], '3', name);
      assert.equal(args['arg1'], bpLayers(escaped), name);
      assert.equal(args['arg2'], ws.platform, name);
      assert.equal(await ws.exists(`layers/${escaped}`), true, name);
    }
  });

  it('API 0.7: no CNB_LAYERS_DIR/CNB_PLATFORM_DIR/CNB_BP_PLAN_PATH/CNB_TARGET_* (§14)', async () => {
    const env = await ws.env('api07', 'build');
    assert.deepEqual(
      Object.keys(env).filter((k) => k.startsWith('CNB_')),
      ['CNB_BUILDPACK_DIR'],
    );
    assert.equal(env['CNB_BUILDPACK_DIR'], join(BUILDPACKS, 'phases_api07', '0.0.7'));
  });

  it('API 0.10+: CNB_LAYERS_DIR, CNB_PLATFORM_DIR, CNB_BP_PLAN_PATH equal the positional args; CNB_TARGET_* from analyzed.toml', async () => {
    for (const [name, escaped] of [
      ['api10', 'phases_api10'],
      ['api12', 'phases_api12'],
    ] as const) {
      const env = await ws.env(name, 'build');
      const args = await ws.args(name, 'build');
      assert.equal(env['CNB_LAYERS_DIR'], bpLayers(escaped), name);
      assert.equal(env['CNB_PLATFORM_DIR'], ws.platform, name);
      assert.equal(env['CNB_BP_PLAN_PATH'], args['arg3'], name);
      assert.equal(env['CNB_TARGET_OS'], 'linux', name);
      assert.equal(env['CNB_TARGET_ARCH'], 'amd64', name);
      assert.equal(env['CNB_TARGET_ARCH_VARIANT'], 'v3', name);
      assert.equal(env['CNB_TARGET_DISTRO_NAME'], 'ubuntu', name);
      assert.equal(env['CNB_TARGET_DISTRO_VERSION'], '24.04', name);
    }
    assert.equal((await ws.env('api12', 'build'))['CNB_EXEC_ENV'], 'production');
    assert.equal((await ws.env('api10', 'build'))['CNB_EXEC_ENV'], undefined);
  });

  it('gives each buildpack only its plan entries; [[unmet]] ones go on to the next provider (§5 Buildpack plan)', async () => {
    const p07 = await ws.read('workspace/out/api07.build.plan');
    assert.match(p07, /name = "node"/);
    assert.match(p07, /name = "shared"/);
    assert.doesNotMatch(p07, /only-12/);
    assert.match(p07, /version = "18"/);
    const p12 = await ws.read('workspace/out/api12.build.plan');
    assert.match(p12, /name = "shared"/, 'left unmet by phases/api07');
    assert.match(p12, /name = "only-12"/);
    assert.doesNotMatch(p12, /name = "node"/);
    assert.doesNotMatch(await ws.read('workspace/out/api10.build.plan'), /name =/);
  });

  describe('build layers shape the env of later buildpacks (buildpack.md "Build Layers"; §5 Layers; §10)', () => {
    let env: Record<string, string>;
    before(async () => {
      env = await ws.env('api10', 'build');
    });

    it('<layer>/bin is prepended to PATH: the next buildpack runs the tool', async () => {
      assert.equal(env['PATH'], `${bpLayers('phases_api07')}/aa/bin:${process.env['PATH']}`);
      assert.equal(await ws.read('workspace/out/tool.txt'), 'hello from a build layer\n');
    });

    it('<layer>/lib, include, pkgconfig → LD_LIBRARY_PATH, LIBRARY_PATH, CPATH, PKG_CONFIG_PATH', () => {
      const aa = `${bpLayers('phases_api07')}/aa`;
      assert.equal(env['LD_LIBRARY_PATH'], `${aa}/lib:/lifecycle/lib`);
      assert.equal(env['LIBRARY_PATH'], `${aa}/lib`);
      assert.equal(env['CPATH'], `${aa}/include`);
      assert.equal(env['PKG_CONFIG_PATH'], `${aa}/pkgconfig`);
    });

    it('env/ files: no suffix = override, .append/.prepend with .delim (none → empty), .default, .override', () => {
      assert.equal(env['APPEND_VAR'], 'base:appended');
      assert.equal(env['PREPEND_VAR'], 'pre-base', 'no .delim file → empty delimiter');
      assert.equal(env['DEFAULT_VAR'], 'preset');
      assert.equal(env['NEW_DEFAULT'], 'set-by-default');
      assert.equal(env['OVERRIDE_VAR'], 'second');
      assert.equal(env['IGNORED_VAR'], undefined, 'unknown suffixes are ignored');
    });

    it('env.build/ applies; env.launch/ and launch-only layers do not', () => {
      assert.equal(env['BUILD_ONLY'], 'from-env.build');
      assert.equal(env['LAUNCH_ONLY'], undefined);
      assert.equal(env['LAUNCH_LAYER_VAR'], undefined);
      assert.doesNotMatch(env['PATH'] ?? '', /\/cc\/bin/);
    });

    it('the buildpack that made the layers does not see them itself', async () => {
      const own = await ws.env('api07', 'build');
      assert.equal(own['APPEND_VAR'], undefined);
      assert.equal(own['PATH'], process.env['PATH']);
    });

    it('the env accumulates: the third buildpack still sees the first one’s layers', async () => {
      const third = await ws.env('api12', 'build');
      assert.equal(third['APPEND_VAR'], 'base:appended');
      assert.equal(third['BUILD_ONLY'], 'from-env.build');
    });
  });

  it('renames an all-false-types layer to <layer>.ignore; leaves a dir without <layer>.toml alone (§5; S-6)', async () => {
    assert.equal(await ws.exists('layers/phases_api07/dd.ignore/file'), true);
    assert.equal(await ws.exists('layers/phases_api07/dd'), false);
    assert.equal(await ws.exists('layers/phases_api07/no-toml/file'), true);
    assert.equal(await ws.exists('layers/phases_api07/aa/bin/hello-tool'), true);
  });

  it('writes <layers>/config/metadata.toml listing the group (§5 "Success")', async () => {
    const md = await ws.readToml('layers/config/metadata.toml');
    assert.deepEqual(
      (md['buildpacks'] as { id: string; api: string }[]).map((b) => `${b.id}@${b.api}`),
      ['phases/api07@0.7', 'phases/api10@0.10', 'phases/api12@0.12'],
    );
  });
});
