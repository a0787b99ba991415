// Buildpack env from the platform: platform.md "POSIX Path Variables", "User-Provided Variables",
// "Operator-Defined Variables"; buildpack.md "Provided by the Platform" (clear-env);
// docs/reference-behaviour.md §10 (include-list, build-config `default`).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyUserEnv, baseBuildEnv, buildpackEnv, readPlatformEnv } from './platform-env.ts';

describe('baseBuildEnv (include-list)', () => {
  it('keeps only HOME, HOSTNAME, proxies, CNB_STACK_ID and path variables', () => {
    const env = baseBuildEnv({
      PATH: '/bin',
      LD_LIBRARY_PATH: '/lib',
      HOME: '/home/cnb',
      HOSTNAME: 'h',
      http_proxy: 'p',
      NO_PROXY: 'n',
      CNB_STACK_ID: 's',
      CNB_REGISTRY_AUTH: '{"r":"Basic x"}',
      CNB_PLATFORM_API: '0.12',
      CNB_USER_ID: '1000',
      AWS_SECRET_ACCESS_KEY: 'k',
      LANG: 'C',
      UNDEF: undefined,
    });
    assert.deepEqual(env, {
      CNB_STACK_ID: 's',
      HOSTNAME: 'h',
      HOME: '/home/cnb',
      http_proxy: 'p',
      NO_PROXY: 'n',
      PATH: '/bin',
      LD_LIBRARY_PATH: '/lib',
    });
  });
});

describe('applyUserEnv (buildpack.md "Provided by the Platform")', () => {
  const cases: {
    name: string;
    env: Record<string, string>;
    user: Record<string, string>;
    want: Record<string, string>;
  }[] = [
    {
      name: 'path vars are prepended with ":"',
      env: { PATH: '/bin' },
      user: { PATH: '/u' },
      want: { PATH: '/u:/bin' },
    },
    {
      name: 'every build path var is a path var',
      env: { PKG_CONFIG_PATH: '/a', CPATH: '/c' },
      user: { PKG_CONFIG_PATH: '/b', CPATH: '/d' },
      want: { PKG_CONFIG_PATH: '/b:/a', CPATH: '/d:/c' },
    },
    {
      name: 'path var unset: set as is',
      env: {},
      user: { LIBRARY_PATH: '/l' },
      want: { LIBRARY_PATH: '/l' },
    },
    {
      name: 'other vars are overridden',
      env: { HOME: '/h', X: '1' },
      user: { X: '2', BP_Y: 'y' },
      want: { HOME: '/h', X: '2', BP_Y: 'y' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(applyUserEnv(c.env, c.user), c.want));
});

describe('readPlatformEnv + buildpackEnv', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'platform-env-'));
    const put = async (rel: string, text: string) => {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(join(root, rel), text);
    };
    await put('platform/env/USER_VAR', 'user\n');
    await put('platform/env/PATH', '/user/bin');
    await put('platform/env/NAME.append', 'literal-name');
    await mkdir(join(root, 'platform/env/subdir'), { recursive: true });
    await put('target', 'via-link');
    await symlink(join(root, 'target'), join(root, 'platform/env/LINKED'));
    await put('build-config/env/OP_DEFAULT', 'op');
    await put('build-config/env/HOME', 'op-home');
    await put('build-config/env/PATH.append', '/op/bin');
    await put('build-config/env/PATH.delim', ':');
    await put('build-config/env/USER_VAR.override', 'op-wins');
    await put('build-config/env/IGNORED.ignore', 'x');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('reads user env verbatim (no suffix rules), skipping dirs and following file links', async () => {
    const p = await readPlatformEnv({
      platform: join(root, 'platform'),
      buildConfig: join(root, 'build-config'),
    });
    assert.deepEqual(
      { ...p.user },
      { LINKED: 'via-link', 'NAME.append': 'literal-name', PATH: '/user/bin', USER_VAR: 'user\n' },
    );
    assert.deepEqual(
      p.operator.map((m) => `${m.name}:${m.action}`),
      ['HOME:default', 'OP_DEFAULT:default', 'PATH:append', 'USER_VAR:override'],
    );
  });

  it('missing directories are empty', async () => {
    const p = await readPlatformEnv({ platform: join(root, 'none'), buildConfig: join(root, 'none') });
    assert.deepEqual(p, { user: {}, operator: [] });
  });

  it('user env then operator env; operator applies with clear-env too', async () => {
    const p = await readPlatformEnv({
      platform: join(root, 'platform'),
      buildConfig: join(root, 'build-config'),
    });
    const base = { PATH: '/bin', HOME: '/home/cnb' };
    const env = buildpackEnv(base, p, false);
    assert.equal(env.PATH, '/user/bin:/bin:/op/bin');
    assert.equal(env.HOME, '/home/cnb');
    assert.equal(env.OP_DEFAULT, 'op');
    assert.equal(env.USER_VAR, 'op-wins');
    assert.equal(env.IGNORED, undefined);
    const cleared = buildpackEnv(base, p, true);
    assert.equal(cleared.PATH, '/bin:/op/bin');
    assert.equal(cleared.LINKED, undefined);
    assert.equal(cleared.USER_VAR, 'op-wins');
    assert.equal(cleared.OP_DEFAULT, 'op');
  });
});
