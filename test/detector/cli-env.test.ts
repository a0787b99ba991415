import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ANALYZED, BUILDPACKS, orderToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/detector`: what `bin/detect` receives (buildpack.md "Detection",
 * "Environment"; docs/reference-behaviour.md §2 "`/bin/detect` execution contract", §10; S-2).
 */

/** The lifecycle's own env: only the include-list may reach buildpacks (§10 "Build env include-list"). */
const LIFECYCLE_ENV = {
  SECRET_TOKEN: 's3cr3t',
  CNB_REGISTRY_AUTH: '{"example.com":"Basic eA=="}',
  HTTP_PROXY: 'http://proxy.example:3128',
};

describe('detector: bin/detect arguments and environment (black box)', () => {
  let ws: Workspace;
  let run: Awaited<ReturnType<Workspace['detector']>>;
  const plan = (args: Record<string, string>) => args['arg2'] ?? '';

  before(async () => {
    ws = await workspace();
    await ws.write(
      'layers/order.toml',
      orderToml([
        ['phases/api07@0.0.7', 'phases/api10@0.0.10', 'phases/api12@0.0.12', 'phases/clear-env@0.0.1'],
      ]),
    );
    await ws.write('layers/analyzed.toml', ANALYZED);
    // User-provided env (platform.md "Build-time environment"): plain files, names = variables.
    await ws.write('platform/env/BP_GREETING', 'hello from platform\n');
    await ws.write('platform/env/PATH', '/from/platform/bin');
    await ws.write('platform/env/BP_SHARED', 'platform-value');
    // Operator env (platform.md `<build-config>/env/`): suffix rules, default action "default".
    await ws.write('build-config/env/OPERATOR_VAR', 'val-from-build-config');
    await ws.write('build-config/env/BP_SHARED', 'operator-default');
    await ws.write('build-config/env/OPERATOR_LIST.append', 'second');
    await ws.write('build-config/env/OPERATOR_LIST.prepend', 'first');
    await ws.write('build-config/env/OPERATOR_LIST.delim', ',');
    run = await ws.detector(['-build-config', ws.buildConfig], LIFECYCLE_ENV);
  });
  after(() => ws.cleanup());

  it('detects the group (exit 0)', () => {
    assert.equal(run.code, 0, show(run));
  });

  describe('API 0.7 buildpack (buildpack.md "Positional Arguments"; §14 "0.7")', () => {
    it('gets `<platform> <plan>` as argv and runs in <app>', async () => {
      const args = await ws.args('api07', 'detect');
      assert.equal(args['argc'], '2');
      assert.equal(args['arg1'], ws.platform);
      assert.match(plan(args), /\/plan\.toml$/);
      assert.equal(args['cwd'], ws.app);
    });

    it('gets no CNB_PLATFORM_DIR, CNB_BUILD_PLAN_PATH, CNB_TARGET_* or CNB_EXEC_ENV', async () => {
      const env = await ws.env('api07', 'detect');
      const cnb = Object.keys(env).filter((k) => k.startsWith('CNB_'));
      // CNB_BUILDPACK_DIR is given at every API (buildpack.md "Detection" inputs).
      assert.deepEqual(cnb, ['CNB_BUILDPACK_DIR']);
      assert.equal(env['CNB_BUILDPACK_DIR'], join(BUILDPACKS, 'phases_api07', '0.0.7'), 'S-1: escaped id');
    });
  });

  describe('API 0.10+ buildpacks (buildpack.md "Detection"; "Targets")', () => {
    it('still get positional args (S-2) equal to CNB_PLATFORM_DIR and CNB_BUILD_PLAN_PATH', async () => {
      for (const name of ['api10', 'api12']) {
        const args = await ws.args(name, 'detect');
        const env = await ws.env(name, 'detect');
        assert.equal(args['argc'], '2', name);
        assert.equal(env['CNB_PLATFORM_DIR'], ws.platform, name);
        assert.equal(env['CNB_PLATFORM_DIR'], args['arg1'], name);
        assert.equal(env['CNB_BUILD_PLAN_PATH'], plan(args), name);
        assert.equal(args['cwd'], ws.app, name);
      }
    });

    it("get CNB_TARGET_* from <layers>/analyzed.toml's run-image target", async () => {
      for (const name of ['api10', 'api12']) {
        const env = await ws.env(name, 'detect');
        assert.equal(env['CNB_TARGET_OS'], 'linux', name);
        assert.equal(env['CNB_TARGET_ARCH'], 'arm64', name);
        assert.equal(env['CNB_TARGET_ARCH_VARIANT'], 'v8', name);
        assert.equal(env['CNB_TARGET_DISTRO_NAME'], 'ubuntu', name);
        assert.equal(env['CNB_TARGET_DISTRO_VERSION'], '22.04', name);
      }
    });

    it('CNB_EXEC_ENV=production only from API 0.12 (§2; buildpack.md "Detection")', async () => {
      assert.equal((await ws.env('api12', 'detect'))['CNB_EXEC_ENV'], 'production');
      assert.equal((await ws.env('api10', 'detect'))['CNB_EXEC_ENV'], undefined);
    });
  });

  it("filters the lifecycle's own env to the include-list (§10): no secrets, no CNB_* inputs", async () => {
    for (const name of ['api07', 'api10', 'api12', 'clearenv']) {
      const env = await ws.env(name, 'detect');
      assert.equal(env['SECRET_TOKEN'], undefined, name);
      assert.equal(env['CNB_REGISTRY_AUTH'], undefined, name);
      assert.equal(env['CNB_PLATFORM_API'], undefined, name);
      assert.equal(env['CNB_USER_ID'], undefined, name);
      assert.equal(env['HTTP_PROXY'], 'http://proxy.example:3128', name);
    }
  });

  describe('<platform>/env (buildpack.md "Provided by the Platform"; §10 platform env)', () => {
    it('is visible verbatim to bin/detect; PATH is prepended with ":"', async () => {
      const env = await ws.env('api12', 'detect');
      assert.equal(env['BP_GREETING'], 'hello from platform', 'value verbatim (the dump is line-based)');
      assert.equal(env['BP_SHARED'], 'platform-value', 'platform env wins over an operator default');
      assert.equal(env['PATH'], `/from/platform/bin:${process.env['PATH']}`);
    });

    it('is not applied to a `clear-env = true` buildpack (buildpack.md "clear-env")', async () => {
      const env = await ws.env('clearenv', 'detect');
      assert.equal(env['BP_GREETING'], undefined);
      assert.equal(env['PATH'], process.env['PATH']);
      assert.equal(env['CNB_PLATFORM_DIR'], ws.platform, 'the files stay available under <platform>/env');
    });
  });

  describe('<build-config>/env operator env (platform.md; §10 build-config env)', () => {
    it('reaches every buildpack, clear-env or not (acceptance: FOO=val-from-build-config)', async () => {
      for (const name of ['api07', 'api12', 'clearenv']) {
        const env = await ws.env(name, 'detect');
        assert.equal(env['OPERATOR_VAR'], 'val-from-build-config', name);
        // Lexical file order: .append then .prepend, with the .delim delimiter.
        assert.equal(env['OPERATOR_LIST'], 'first,second', name);
      }
    });

    it('a plain file is a default: under clear-env it sets the value the platform env did not', async () => {
      assert.equal((await ws.env('clearenv', 'detect'))['BP_SHARED'], 'operator-default');
    });
  });
});

describe('detector: target fallback to the build container os-release (§2 target filtering)', () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(() => ws.cleanup());

  it('run-image target without distro → CNB_TARGET_DISTRO_* from /etc/os-release', async () => {
    await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12']]));
    await ws.write(
      'layers/analyzed.toml',
      '[run-image]\n  reference = ""\n  [run-image.target]\n    os = "linux"\n',
    );
    const run = await ws.detector();
    assert.equal(run.code, 0, show(run));
    const env = await ws.env('api12', 'detect');
    const release = await readFile('/etc/os-release', 'utf8').catch(() => '');
    const field = (k: string) =>
      /^(\w+)=("?)(.*)\2$/m.exec(release.split('\n').find((l) => l.startsWith(`${k}=`)) ?? '')?.[3];
    assert.equal(env['CNB_TARGET_OS'], 'linux');
    // An empty arch defaults to the host's, in OCI spelling.
    assert.equal(
      env['CNB_TARGET_ARCH'],
      ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch],
    );
    assert.equal(env['CNB_TARGET_DISTRO_NAME'], field('ID'));
    assert.equal(env['CNB_TARGET_DISTRO_VERSION'], field('VERSION_ID'));
    assert.equal(env['CNB_TARGET_ARCH_VARIANT'], undefined, 'empty optional vars are omitted');
  });
});
