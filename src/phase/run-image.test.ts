import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bestRunImageMirror,
  resolveRunImage,
  runImageEntryFor,
  runImageTarget,
  targetFromConfig,
} from './run-image.ts';

const readable =
  (...ok: string[]) =>
  async (r: string) =>
    ok.includes(r) ? { ok: true } : { ok: false, reason: `registry answered HTTP 500 for ${r}` };

describe('bestRunImageMirror (platform.md "Run Image Resolution")', () => {
  const entry = { image: 'reg-a.io/run:v1', mirrors: ['reg-b.io/run:v1', 'reg-c.io/run:v1'] };
  const cases: [string, string, string[], string][] = [
    [
      'same registry as the app image, readable',
      'reg-b.io/app',
      ['reg-a.io/run:v1', 'reg-b.io/run:v1'],
      'reg-b.io/run:v1',
    ],
    ['same registry not readable: first readable', 'reg-b.io/app', ['reg-c.io/run:v1'], 'reg-c.io/run:v1'],
    [
      'no candidate on the app registry: first readable',
      'other.io/app',
      ['reg-c.io/run:v1', 'reg-b.io/run:v1'],
      'reg-b.io/run:v1',
    ],
    [
      'Docker Hub app image matches a Hub mirror',
      'app',
      ['reg-a.io/run:v1', 'index.docker.io/run:v1'],
      'reg-a.io/run:v1',
    ],
  ];
  for (const [name, app, ok, want] of cases)
    it(name, async () => assert.equal(await bestRunImageMirror(entry, app, readable(...ok)), want));

  it('Docker Hub names compare by registry', async () => {
    const hub = { image: 'gcr.io/run:v1', mirrors: ['cnbs/run:v1'] };
    assert.equal(
      await bestRunImageMirror(hub, 'docker.io/me/app', readable('gcr.io/run:v1', 'cnbs/run:v1')),
      'cnbs/run:v1',
    );
  });

  it('none readable: exit 3, "failed to find accessible run image"', async () => {
    await assert.rejects(bestRunImageMirror(entry, 'reg-a.io/app', readable()), {
      exitCode: 3,
      message: /failed to resolve inputs: failed to find accessible run image/,
    });
    await assert.rejects(bestRunImageMirror(entry, 'reg-a.io/app', readable()), (e: Error) => {
      assert.match(e.message, /reg-b\.io\/run:v1: registry answered HTTP 500 for reg-b\.io\/run:v1/);
      return true;
    });
  });

  it('checks each candidate once', async () => {
    const seen: string[] = [];
    await assert.rejects(
      bestRunImageMirror(entry, 'reg-a.io/app', async (r) => {
        seen.push(r);
        return { ok: false };
      }),
    );
    assert.deepEqual(seen, ['reg-a.io/run:v1', 'reg-b.io/run:v1', 'reg-c.io/run:v1']);
  });
});

describe('resolveRunImage', () => {
  it('-run-image wins', async () => {
    assert.equal(
      await resolveRunImage({
        runImage: 'x/run',
        runFile: undefined,
        runPath: '/cnb/run.toml',
        appImage: 'a',
        canRead: readable(),
      }),
      'x/run',
    );
  });
  it('takes the first [[images]] entry only', async () => {
    const runFile = {
      images: [
        { image: 'a/run:1', mirrors: [] },
        { image: 'b/run:1', mirrors: [] },
      ],
    };
    assert.equal(
      await resolveRunImage({
        runFile,
        runPath: 'run.toml',
        appImage: 'app',
        canRead: readable('a/run:1', 'b/run:1'),
      }),
      'a/run:1',
    );
  });
  for (const runFile of [undefined, { images: [] }]) {
    it(`no run metadata (${runFile === undefined ? 'no file' : 'no images'}): exit 3`, async () => {
      await assert.rejects(
        resolveRunImage({ runFile, runPath: 'run.toml', appImage: 'app', canRead: readable() }),
        {
          exitCode: 3,
          message: /-run-image is required when there is no run metadata available/,
        },
      );
    });
  }
});

describe('runImageEntryFor (mirrors information)', () => {
  const runFile = {
    images: [
      { image: 'a/run:1', mirrors: ['m/a:1'] },
      { image: 'b/run:1', mirrors: ['m/b:1'] },
    ],
  };
  it('the entry naming the image or a mirror', () => {
    assert.equal(runImageEntryFor(runFile, 'm/b:1').image, 'b/run:1');
    assert.equal(runImageEntryFor(runFile, 'index.docker.io/b/run:1').image, 'b/run:1');
  });
  it('else the first entry, else the image alone', () => {
    assert.equal(runImageEntryFor(runFile, 'other:1').image, 'a/run:1');
    assert.deepEqual(runImageEntryFor(undefined, 'other:1'), { image: 'other:1', mirrors: [] });
  });
});

describe('targetFromConfig (platform.md "Target Data")', () => {
  const cfg = (
    labels: Record<string, string>,
    extra: { os?: string; architecture?: string; variant?: string } = {},
  ) => ({
    os: 'linux',
    architecture: 'arm64',
    ...extra,
    config: { Labels: labels },
  });
  it('os, arch, variant, id and distro', () => {
    assert.deepEqual(
      targetFromConfig(
        cfg(
          {
            'io.buildpacks.base.id': 'io.example.run',
            'io.buildpacks.base.distro.name': 'ubuntu',
            'io.buildpacks.base.distro.version': '24.04',
          },
          { variant: 'v8' },
        ),
      ),
      {
        id: 'io.example.run',
        os: 'linux',
        arch: 'arm64',
        archVariant: 'v8',
        distro: { name: 'ubuntu', version: '24.04' },
      },
    );
  });
  it('draft label names (S-11)', () => {
    assert.deepEqual(
      targetFromConfig(
        cfg({
          'io.buildpacks.id': 'old.id',
          'io.buildpacks.distribution.name': 'debian',
          'io.buildpacks.distribution.version': '12',
        }),
      ),
      { id: 'old.id', os: 'linux', arch: 'arm64', distro: { name: 'debian', version: '12' } },
    );
  });
  it('released names win over draft ones', () => {
    const t = targetFromConfig(
      cfg({ 'io.buildpacks.base.distro.name': 'a', 'io.buildpacks.distribution.name': 'b' }),
    );
    assert.deepEqual(t.distro, { name: 'a', version: '' });
  });
  it('no distro labels: none', () => {
    assert.deepEqual(targetFromConfig(cfg({})), { os: 'linux', arch: 'arm64' });
  });
  it('bionic stack without distro labels: ubuntu 18.04 (amd64 when the config has no arch)', () => {
    const bionic = { 'io.buildpacks.stack.id': 'io.buildpacks.stacks.bionic' };
    assert.deepEqual(targetFromConfig(cfg(bionic, { architecture: '' })), {
      os: 'linux',
      arch: 'amd64',
      distro: { name: 'ubuntu', version: '18.04' },
    });
    assert.deepEqual(targetFromConfig(cfg({ ...bionic, 'io.buildpacks.base.distro.name': 'x' })).distro, {
      name: 'x',
      version: '',
    });
  });
  it('runImageTarget: no OS → exit 32 "failed to find OS in run image config"', () => {
    assert.throws(() => runImageTarget(cfg({}, { os: '' }), 'run:v1'), {
      exitCode: 32,
      message: /failed to find OS in run image config/,
    });
  });
});
