// The environment and arguments bin/detect receives (buildpack.md "Detection", "Environment";
// platform.md "User-Provided Variables", "Operator-Defined Variables"; S-2, S-7).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILDPACKS, type DetectWorkspace, detectWorkspace, envFromLogs, orderToml } from './helpers.ts';

const TARGET =
  '[run-image]\nreference = "r"\n[run-image.target]\nos = "linux"\narch = "amd64"\narch-variant = "v8"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "22.04"\n';

describe('detector: buildpack environment', () => {
  let ws: DetectWorkspace;
  before(async () => {
    ws = await detectWorkspace();
    await ws.write('layers/analyzed.toml', TARGET);
    await ws.write('platform/env/USER_VAR', 'from-user\n');
    await ws.write('platform/env/PATH', '/user/bin');
    await ws.write('platform/env/HOME', '/user/home');
    await ws.write('build-config/env/FOO', 'val-from-build-config');
    await ws.write('build-config/env/HOME', 'operator-default-ignored');
    await ws.write('build-config/env/OP_LIST.append', 'b');
    await ws.write('build-config/env/OP_LIST.prepend', 'a');
    await ws.write('build-config/env/OP_LIST.delim', ':');
    await ws.write('build-config/env/USER_VAR.override', 'operator-wins');
  });
  after(() => ws.cleanup());

  it('gives an API 0.12 buildpack positional args, CNB_* inputs, targets and CNB_EXEC_ENV', async () => {
    await ws.write('layers/order.toml', orderToml([['env_dump@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.ok(result, lines.join('\n'));
    const env = envFromLogs(lines);
    assert.equal(env.CNB_BUILDPACK_DIR, join(BUILDPACKS, 'env_dump', '0.0.1'));
    assert.equal(env.CNB_PLATFORM_DIR, ws.platform);
    assert.match(env.CNB_BUILD_PLAN_PATH ?? '', /\/plan\.[^/]+\/plan\.toml$/);
    assert.equal(env.ARGS, `${ws.platform} ${env.CNB_BUILD_PLAN_PATH}`);
    assert.equal(env.CNB_TARGET_OS, 'linux');
    assert.equal(env.CNB_TARGET_ARCH, 'amd64');
    assert.equal(env.CNB_TARGET_ARCH_VARIANT, 'v8');
    assert.equal(env.CNB_TARGET_DISTRO_NAME, 'ubuntu');
    assert.equal(env.CNB_TARGET_DISTRO_VERSION, '22.04');
    assert.equal(env.CNB_EXEC_ENV, 'production');
  });

  it('applies user env (path vars prepended, others overridden) then operator env', async () => {
    await ws.write('layers/order.toml', orderToml([['env_dump@0.0.1']]));
    const { lines } = await ws.run();
    const env = envFromLogs(lines);
    assert.equal(env.PATH, '/user/bin:/usr/local/bin:/usr/bin:/bin');
    // HOME is overridden by the user file (verbatim), and the operator's default does not apply.
    assert.equal(env.HOME, '/user/home');
    assert.equal(env.FOO, 'val-from-build-config');
    assert.equal(env.OP_LIST, 'a:b');
    assert.equal(env.USER_VAR, 'operator-wins');
  });

  it('keeps credentials and other lifecycle variables away from buildpacks', async () => {
    await ws.write('layers/order.toml', orderToml([['env_dump@0.0.1']]));
    const { lines } = await ws.run();
    const env = envFromLogs(lines);
    assert.equal(env.CNB_REGISTRY_AUTH, undefined);
    assert.equal(env.SECRET_TOKEN, undefined);
  });

  it('gives an API 0.7 buildpack only CNB_BUILDPACK_DIR and the positional args', async () => {
    await ws.write('layers/order.toml', orderToml([['env_dump_07@0.0.1']]));
    const { lines } = await ws.run();
    const env = envFromLogs(lines);
    assert.equal(env.CNB_BUILDPACK_DIR, join(BUILDPACKS, 'env_dump_07', '0.0.1'));
    for (const k of [
      'CNB_PLATFORM_DIR',
      'CNB_BUILD_PLAN_PATH',
      'CNB_TARGET_OS',
      'CNB_TARGET_ARCH',
      'CNB_EXEC_ENV',
    ]) {
      assert.equal(env[k], undefined, k);
    }
    assert.match(env.ARGS ?? '', new RegExp(`^${ws.platform} /.*/plan\\.toml$`));
  });

  it('honours clear-env: no user env, but operator env and the platform files remain', async () => {
    await ws.write('layers/order.toml', orderToml([['clear_env@0.0.1']]));
    const { lines } = await ws.run();
    const env = envFromLogs(lines);
    assert.equal(env.PATH, '/usr/local/bin:/usr/bin:/bin');
    assert.equal(env.HOME, '/home/test');
    assert.equal(env.FOO, 'val-from-build-config');
    assert.equal(env.USER_VAR, 'operator-wins');
    assert.equal(env.PLATFORM_FILE, 'from-user');
  });
});

describe('detector: operator env modification rules', () => {
  let ws: DetectWorkspace;
  before(async () => {
    ws = await detectWorkspace();
    await ws.write('layers/analyzed.toml', TARGET);
    await ws.write('build-config/env/OP_LIST.append', 'b');
    await ws.write('build-config/env/OP_LIST.prepend', 'a');
    await ws.write('build-config/env/OP_LIST.delim', ':');
    await ws.write('build-config/env/PATH.append', '/op/bin');
    await ws.write('build-config/env/PATH.delim', ':');
  });
  after(() => ws.cleanup());

  it('applies suffix rules in lexical order with the .delim delimiter', async () => {
    await ws.write('layers/order.toml', orderToml([['env_dump@0.0.1']]));
    const { lines } = await ws.run();
    const env = envFromLogs(lines);
    // OP_LIST.append runs first (unset → "b"), then OP_LIST.prepend → "a:b".
    assert.equal(env.OP_LIST, 'a:b');
    assert.equal(env.PATH, '/usr/local/bin:/usr/bin:/bin:/op/bin');
  });
});
