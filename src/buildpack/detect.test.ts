// The env of bin/detect by buildpack API (buildpack.md "Detection" inputs; BUILDPACK-API-VERSIONS.md
// D, F, Q; docs/reference-behaviour.md §2 "/bin/detect execution contract"), and one real detect run.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildpackDescriptor } from '../files/index.ts';
import { parseApi } from '../platform/api.ts';
import { memoryLogger } from '../platform/log.ts';
import { type DetectContext, detectEnv, runDetect } from './detect.ts';
import type { BuildpackModule } from './lookup.ts';

function mod(api: string, dir = '/cnb/buildpacks/a/1', clearEnv = false): BuildpackModule {
  const descriptor: BuildpackDescriptor = {
    api,
    buildpack: { id: 'a', version: '1', clearEnv, sbomFormats: [], licenses: [] },
    order: [],
    targets: [],
    stacks: [],
    dir,
  };
  return { kind: 'buildpack', descriptor, api: parseApi(api) ?? { major: 0, minor: 0 }, hasBinBuild: false };
}

const ctx = (tmpDir = '/tmp'): DetectContext => ({
  app: '/workspace',
  platform: '/platform',
  baseEnv: { PATH: '/bin', HOME: '/home/cnb' },
  platformEnv: {
    user: { PATH: '/u', BP_X: 'y' },
    operator: [{ name: 'OP', action: 'default', value: 'o', delim: '' }],
  },
  target: { os: 'linux', arch: 'arm64', distro: { name: 'ubuntu', version: '24.04' } },
  hostArch: 'amd64',
  tmpDir,
});

describe('detectEnv by buildpack API', () => {
  const cnb = [
    'CNB_BUILDPACK_DIR',
    'CNB_PLATFORM_DIR',
    'CNB_BUILD_PLAN_PATH',
    'CNB_TARGET_OS',
    'CNB_EXEC_ENV',
  ];
  const cases: { api: string; present: string[] }[] = [
    { api: '0.7', present: ['CNB_BUILDPACK_DIR'] },
    { api: '0.8', present: ['CNB_BUILDPACK_DIR', 'CNB_PLATFORM_DIR', 'CNB_BUILD_PLAN_PATH'] },
    { api: '0.9', present: ['CNB_BUILDPACK_DIR', 'CNB_PLATFORM_DIR', 'CNB_BUILD_PLAN_PATH'] },
    {
      api: '0.10',
      present: ['CNB_BUILDPACK_DIR', 'CNB_PLATFORM_DIR', 'CNB_BUILD_PLAN_PATH', 'CNB_TARGET_OS'],
    },
    {
      api: '0.11',
      present: ['CNB_BUILDPACK_DIR', 'CNB_PLATFORM_DIR', 'CNB_BUILD_PLAN_PATH', 'CNB_TARGET_OS'],
    },
    { api: '0.12', present: cnb },
  ];
  for (const c of cases) {
    it(`API ${c.api}: ${c.present.join(', ')}`, () => {
      const env = detectEnv(mod(c.api), ctx(), '/tmp/plan.x/plan.toml');
      assert.deepEqual(
        cnb.filter((k) => env[k] !== undefined),
        c.present,
      );
      assert.equal(env.PATH, '/u:/bin');
      assert.equal(env.BP_X, 'y');
      assert.equal(env.OP, 'o');
    });
  }

  it('sets the values', () => {
    const env = detectEnv(mod('0.12'), ctx(), '/tmp/p/plan.toml');
    assert.equal(env.CNB_BUILDPACK_DIR, '/cnb/buildpacks/a/1');
    assert.equal(env.CNB_PLATFORM_DIR, '/platform');
    assert.equal(env.CNB_BUILD_PLAN_PATH, '/tmp/p/plan.toml');
    assert.equal(env.CNB_TARGET_ARCH, 'arm64');
    assert.equal(env.CNB_TARGET_DISTRO_VERSION, '24.04');
    assert.equal(env.CNB_EXEC_ENV, 'production');
  });

  it('clear-env drops the user env but keeps the operator env', () => {
    const env = detectEnv(mod('0.10', '/bp', true), ctx(), '/p');
    assert.equal(env.PATH, '/bin');
    assert.equal(env.BP_X, undefined);
    assert.equal(env.OP, 'o');
  });
});

describe('runDetect', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'detect-unit-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function bp(name: string, script: string): Promise<BuildpackModule> {
    const dir = join(root, name);
    await mkdir(join(dir, 'bin'), { recursive: true });
    await writeFile(join(dir, 'bin', 'detect'), `#!/bin/sh\n${script}\n`);
    await chmod(join(dir, 'bin', 'detect'), 0o755);
    return mod('0.10', dir);
  }
  const c = () => ({ ...ctx(root), app: root, platform: root });

  it('reads the plan of a passing buildpack and removes its temp dir', async () => {
    const m = await bp('pass', 'echo hello; printf "[[provides]]\\nname = \\"x\\"\\n" > "$2"');
    const r = await runDetect(m, c(), memoryLogger());
    assert.equal(r.code, 0);
    assert.equal(r.output, 'hello\n');
    assert.deepEqual(r.plan.provides, [{ name: 'x' }]);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(
      (await readdir(root)).filter((n) => n.startsWith('plan.')),
      [],
    );
  });

  it('ignores the plan of a failing buildpack', async () => {
    const m = await bp('fail', 'printf "garbage [" > "$2"; exit 100');
    const r = await runDetect(m, c(), memoryLogger());
    assert.equal(r.code, 100);
    assert.equal(r.error, undefined);
  });

  it('turns an unparsable plan into an error run that keeps the output', async () => {
    const m = await bp('badplan', 'echo before; printf "garbage [" > "$CNB_BUILD_PLAN_PATH"');
    const r = await runDetect(m, c(), memoryLogger());
    assert.equal(r.code, -1);
    assert.equal(r.output, 'before\n');
    assert.match(r.error ?? '', /^a@1: invalid build plan: .*plan\.toml:1:\d+/);
  });

  it('a missing bin/detect is an error run', async () => {
    const r = await runDetect(mod('0.10', join(root, 'nothing')), c(), memoryLogger());
    assert.equal(r.code, -1);
    assert.match(r.error ?? '', /bin\/detect: no such file or directory/);
  });
});
