import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildpackDescriptor } from '../files/index.ts';
import { parseApi } from '../platform/api.ts';
import { buildProcessEnv } from './build.ts';

function descriptor(clearEnv: boolean): BuildpackDescriptor {
  return {
    api: '0.7',
    buildpack: { id: 'a/b', version: '1', clearEnv, sbomFormats: [], licenses: [] },
    order: [],
    targets: [],
    stacks: [],
    dir: '/cnb/buildpacks/a_b/1',
  };
}

function envFor(api: string, clearEnv = false): Record<string, string> {
  return buildProcessEnv(
    {
      env: { PATH: '/layer/bin:/usr/bin', HOME: '/h' },
      platformEnv: {
        user: { PATH: '/user/bin', USERVAR: 'u', CNB_LAYERS_DIR: '/evil' },
        operator: [{ name: 'OP', action: 'default', value: 'o', delim: '' }],
      },
      descriptor: descriptor(clearEnv),
      api: parseApi(api)!,
      platform: '/platform',
      targetEnv: { CNB_TARGET_OS: 'linux', CNB_TARGET_ARCH: 'amd64' },
      execEnv: 'production',
    },
    '/layers/a_b',
    '/tmp/plan.toml',
  );
}

// buildpack.md "Build" inputs; BUILDPACK-API-VERSIONS.md G (which inputs each API gets).
describe('buildProcessEnv', () => {
  const inputs = [
    'CNB_LAYERS_DIR',
    'CNB_PLATFORM_DIR',
    'CNB_BP_PLAN_PATH',
    'CNB_TARGET_OS',
    'CNB_TARGET_ARCH',
    'CNB_EXEC_ENV',
  ];
  const cases: Array<[string, string[]]> = [
    ['0.7', []],
    ['0.8', ['CNB_LAYERS_DIR', 'CNB_PLATFORM_DIR', 'CNB_BP_PLAN_PATH']],
    ['0.9', ['CNB_LAYERS_DIR', 'CNB_PLATFORM_DIR', 'CNB_BP_PLAN_PATH']],
    ['0.10', ['CNB_LAYERS_DIR', 'CNB_PLATFORM_DIR', 'CNB_BP_PLAN_PATH', 'CNB_TARGET_OS', 'CNB_TARGET_ARCH']],
    ['0.11', ['CNB_LAYERS_DIR', 'CNB_PLATFORM_DIR', 'CNB_BP_PLAN_PATH', 'CNB_TARGET_OS', 'CNB_TARGET_ARCH']],
    ['0.12', inputs],
  ];
  for (const [api, present] of cases) {
    it(`API ${api}`, () => {
      const env = envFor(api);
      assert.equal(env['CNB_BUILDPACK_DIR'], '/cnb/buildpacks/a_b/1');
      for (const k of inputs) assert.equal(k in env && env[k] !== '/evil', present.includes(k), k);
    });
  }
  it('user env prepends to path vars and overrides others; operator env applies after', () => {
    const env = envFor('0.9');
    assert.equal(env['PATH'], '/user/bin:/layer/bin:/usr/bin');
    assert.equal(env['USERVAR'], 'u');
    assert.equal(env['OP'], 'o');
    assert.equal(env['CNB_LAYERS_DIR'], '/layers/a_b', 'lifecycle inputs win over user env');
  });
  it('clear-env drops user env but keeps operator env', () => {
    const env = envFor('0.9', true);
    assert.equal(env['PATH'], '/layer/bin:/usr/bin');
    assert.equal(env['USERVAR'], undefined);
    assert.equal(env['OP'], 'o');
  });
});
