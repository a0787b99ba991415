import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILDPACKS, groupToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/builder`: user, operator and layer env together, and the `<layers>`
 * defaults (buildpack.md "Provided by the Platform", "clear-env"; platform.md "builder" Inputs;
 * docs/reference-behaviour.md §5 "Command level", "`/bin/build` execution contract", §10, §12).
 */
describe('builder: platform env, operator env and clear-env (black box)', () => {
  let ws: Workspace;
  let run: Awaited<ReturnType<Workspace['builder']>>;
  before(async () => {
    ws = await workspace();
    await ws.write(
      'layers/group.toml',
      groupToml(['phases/api07@0.0.7@0.7', 'phases/api12@0.0.12@0.12', 'phases/clear-env@0.0.1@0.12']),
    );
    await ws.write('layers/plan.toml', '');
    // phases/api07 contributes a build layer that sets BP_LAYER and adds bin/ to PATH.
    await ws.write('workspace/build/api07/tool.toml', '[types]\nbuild = true\n');
    await ws.write('workspace/build/api07/tool/bin/t', '#!/bin/sh\n', 0o755);
    await ws.write('workspace/build/api07/tool/env/BP_LAYER', 'from-layer');
    await ws.write('workspace/build/api07/tool/env/BP_USER', 'from-layer');
    await ws.write('platform/env/BP_USER', 'from-platform');
    await ws.write('platform/env/PATH', '/platform/bin');
    await ws.write('build-config/env/BP_OPERATOR', 'operator-default');
    await ws.write('build-config/env/BP_FORCED.override', 'operator-override');
    await ws.write('platform/env/BP_FORCED', 'user-value');
    run = await ws.builder(['-build-config', ws.buildConfig]);
  });
  after(() => ws.cleanup());

  it('exits 0', () => {
    assert.equal(run.code, 0, show(run));
  });

  it('<platform>/env reaches bin/build: overrides a layer value, prepends to PATH (§10)', async () => {
    const env = await ws.env('api12', 'build');
    assert.equal(env['BP_USER'], 'from-platform');
    assert.equal(env['BP_LAYER'], 'from-layer');
    assert.equal(
      env['PATH'],
      `/platform/bin:${join(ws.layers, 'phases_api07', 'tool', 'bin')}:${process.env['PATH']}`,
    );
  });

  it('clear-env = true: no <platform>/env, but the layer env and operator env still apply', async () => {
    const env = await ws.env('clearenv', 'build');
    assert.equal(env['BP_USER'], 'from-layer');
    assert.equal(env['PATH'], `${join(ws.layers, 'phases_api07', 'tool', 'bin')}:${process.env['PATH']}`);
    assert.equal(env['BP_OPERATOR'], 'operator-default');
    assert.equal(env['CNB_PLATFORM_DIR'], ws.platform);
  });

  it('<build-config>/env: plain files are defaults, .override beats the user value (§10)', async () => {
    for (const name of ['api07', 'api12', 'clearenv']) {
      const env = await ws.env(name, 'build');
      assert.equal(env['BP_OPERATOR'], 'operator-default', name);
      assert.equal(env['BP_FORCED'], 'operator-override', name);
    }
  });

  it('removes the per-buildpack plan temp files (§12)', async () => {
    for (const name of ['api07', 'api12']) {
      const plan = (await ws.args(name, 'build'))['arg3'] ?? '';
      assert.equal(existsSync(plan), false, `${plan} removed`);
      assert.equal(existsSync(dirname(plan)), false, `${dirname(plan)} removed`);
    }
  });
});

describe('builder: env file details (§10; buildpack.md "Environment Variable Modification Rules")', () => {
  let ws: Workspace;
  let env: Record<string, string>;
  before(async () => {
    ws = await workspace();
    await ws.write('layers/group.toml', groupToml(['phases/api07@0.0.7@0.7', 'phases/api12@0.0.12@0.12']));
    await ws.write('layers/plan.toml', '');
    const tool = 'workspace/build/api07/tool';
    await ws.write('workspace/build/api07/tool.toml', '[types]\nbuild = true\n');
    await ws.write(`${tool}/env/MULTI`, 'a\nb\n');
    await ws.write(`${tool}/env/LIST.delim`, ',');
    await ws.write(`${tool}/env/nested/HIDDEN`, 'in a subdirectory');
    await ws.write(`${tool}/data/value`, 'through a symlink');
    await mkdir(join(ws.app, 'build', 'api07', 'tool', 'env'), { recursive: true });
    await symlink('../data/value', join(ws.app, 'build', 'api07', 'tool', 'env', 'LINKED'));
    await ws.write('platform/env/BP_NL', 'line\n');
    await ws.write(
      'workspace/hooks/api12.build.sh',
      'printf \'%s|%s|%s\' "$MULTI" "$BP_NL" "$LINKED" >"$PWD/out/verbatim.txt"\n',
    );
    const run = await ws.builder();
    assert.equal(run.code, 0, show(run));
    env = await ws.env('api12', 'build');
  });
  after(() => ws.cleanup());

  it('values are used verbatim, trailing newlines included (layer env/ and <platform>/env)', async () => {
    assert.equal(await ws.read('workspace/out/verbatim.txt'), 'a\nb\n|line\n|through a symlink');
  });

  it('.delim files are not variables; subdirectories of env/ are skipped', () => {
    assert.equal(env['LIST.delim'], undefined);
    assert.equal(env['LIST'], undefined);
    assert.equal(env['HIDDEN'], undefined);
    assert.equal(env['nested'], undefined);
  });
});

describe('builder: <layers> defaults (§5 "CNB_LAYERS_DIR=/layers/X with group and plan unset")', () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(() => ws.cleanup());

  it('reads group.toml/plan.toml from CNB_LAYERS_DIR and writes config/metadata.toml there', async () => {
    const layers = join(ws.root, 'layers', 'different_layer_dir_from_env');
    await ws.write('layers/different_layer_dir_from_env/group.toml', groupToml(['phases/api12@0.0.12@0.12']));
    await ws.write(
      'layers/different_layer_dir_from_env/plan.toml',
      // The provider's version does not matter, only its id (§5 Buildpack plan).
      '[[entries]]\n  [[entries.providers]]\n    id = "phases/api12"\n    version = "9.9.9"\n  [[entries.requires]]\n    name = "from-env-plan"\n',
    );
    const run = await ws.builder(
      [],
      {
        CNB_LAYERS_DIR: layers,
        CNB_APP_DIR: ws.app,
        CNB_PLATFORM_DIR: ws.platform,
        CNB_BUILDPACKS_DIR: BUILDPACKS,
      },
      { bare: true },
    );
    assert.equal(run.code, 0, show(run));
    assert.equal(await ws.exists('layers/different_layer_dir_from_env/config/metadata.toml'), true);
    assert.equal(await ws.exists('layers/config/metadata.toml'), false);
    const env = await ws.env('api12', 'build');
    assert.equal(env['CNB_LAYERS_DIR'], join(layers, 'phases_api12'));
    assert.equal(env['CNB_BUILDPACK_DIR'], join(BUILDPACKS, 'phases_api12', '0.0.12'));
    assert.match(await ws.read('workspace/out/api12.build.plan'), /name = "from-env-plan"/);
  });

  it('-group and -plan beat CNB_GROUP_PATH and CNB_PLAN_PATH (§0.5)', async () => {
    await ws.write('flag/group.toml', groupToml(['phases/second@0.0.2@0.12']));
    await ws.write('flag/plan.toml', '');
    await ws.write('env/group.toml', groupToml(['phases/third@0.0.3@0.12']));
    await ws.write('env/plan.toml', '');
    const run = await ws.builder(
      ['-group', join(ws.root, 'flag', 'group.toml'), '-plan', join(ws.root, 'flag', 'plan.toml')],
      {
        CNB_GROUP_PATH: join(ws.root, 'env', 'group.toml'),
        CNB_PLAN_PATH: join(ws.root, 'env', 'plan.toml'),
      },
    );
    assert.equal(run.code, 0, show(run));
    const md = await ws.readToml('layers/config/metadata.toml');
    assert.deepEqual(
      (md['buildpacks'] as { id: string }[]).map((b) => b.id),
      ['phases/second'],
    );
  });
});
