// platform-0.15.md "Execution Environment": from Platform API 0.15 the detector leaves out buildpacks
// (Buildpack API 0.12+) whose exec-env lists neither "*" nor CNB_EXEC_ENV; before 0.15 exec-env is ignored.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../platform/log.ts';
import { type DetectOptions, detect } from './detect.ts';

describe('detector: exec-env by Platform API (platform-0.15.md "Execution Environment")', () => {
  let root: string;
  const opts = (name: string, minor: number, execEnv?: string): DetectOptions => ({
    app: join(root, 'app'),
    buildpacks: join(root, 'buildpacks'),
    buildConfig: join(root, 'build-config'),
    group: join(root, name, 'group.toml'),
    layers: join(root, name),
    order: join(root, 'order.toml'),
    plan: join(root, name, 'plan.toml'),
    platform: join(root, name, 'platform'),
    analyzed: join(root, 'analyzed.toml'),
    env: { PATH: '/usr/bin:/bin' },
    platformApi: { major: 0, minor },
    tmpDir: root,
    osReleasePath: join(root, 'no-os-release'),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    ...(execEnv === undefined ? {} : { execEnv }),
  });
  const ids = async (name: string) =>
    [...(await readFile(join(root, name, 'group.toml'), 'utf8')).matchAll(/^id = "(.*)"$/gm)].map(
      (m) => m[1],
    );

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'detect-exec-env-'));
    for (const [id, execEnv] of [
      ['test-only', '["test"]'],
      ['any', '["*"]'],
      ['plain', undefined],
    ] as const) {
      const dir = join(root, 'buildpacks', id, '1');
      await mkdir(join(dir, 'bin'), { recursive: true });
      const list = execEnv === undefined ? '' : `exec-env = ${execEnv}\n`;
      await writeFile(
        join(dir, 'buildpack.toml'),
        `api = "0.12"\n[buildpack]\nid = "${id}"\nversion = "1"\n${list}`,
      );
      await writeFile(join(dir, 'bin', 'detect'), '#!/bin/sh\nexit 0\n');
      await chmod(join(dir, 'bin', 'detect'), 0o755);
    }
    await mkdir(join(root, 'app'));
    const group = ['test-only', 'any', 'plain'].map((id) => `[[order.group]]\nid = "${id}"\nversion = "1"\n`);
    await writeFile(join(root, 'order.toml'), `[[order]]\n${group.join('')}`);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('0.15: a buildpack not for the current execution environment (default production) is left out', async () => {
    await detect(opts('p15', 15), memoryLogger());
    assert.deepEqual(await ids('p15'), ['any', 'plain']);
    await detect(opts('t15', 15, 'test'), memoryLogger());
    assert.deepEqual(await ids('t15'), ['test-only', 'any', 'plain']);
  });
  it('0.14: exec-env is not looked at', async () => {
    await detect(opts('p14', 14), memoryLogger());
    assert.deepEqual(await ids('p14'), ['test-only', 'any', 'plain']);
  });
});
