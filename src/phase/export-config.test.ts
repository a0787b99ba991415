import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildMetadata } from '../files/index.ts';
import type { ImageConfig } from '../image/index.ts';
import { memoryLogger, parseApi } from '../platform/index.ts';
import { buildMetadataLabel, createdTime, entrypoint, imageEnv, runImageForLabel } from './export-config.ts';

const meta = (over: Partial<BuildMetadata> = {}): BuildMetadata => ({
  buildpacks: [{ id: 'a/b', version: '1', api: '0.10', homepage: 'https://x' }],
  extensions: [],
  labels: [],
  processes: [
    { type: 'web', command: ['run'], args: ['x'], direct: true, buildpackId: 'a/b', workingDir: '/w' },
    { type: 'worker', command: ['w'], args: [], direct: false, buildpackId: 'a/b' },
  ],
  slices: [],
  ...over,
});

const LAUNCHER = { version: '1.2', repository: 'r', commit: 'c' };

// platform.md "exporter"; docs/reference-behaviour.md §6 "Config, labels and env".
describe('exporter config', () => {
  it('created: SOURCE_DATE_EPOCH, else the constant; invalid values warn', () => {
    const log = memoryLogger();
    assert.equal(createdTime(undefined, log), '1980-01-01T00:00:01Z');
    assert.equal(createdTime('1641359105', log), '2022-01-05T05:05:05Z');
    assert.equal(createdTime('-5', log), '1980-01-01T00:00:01Z');
    assert.match(log.lines.join('\n'), /Ignoring invalid SOURCE_DATE_EPOCH/);
  });

  it('entrypoint: -process-type, else the buildpack default, else the launcher', () => {
    const log = memoryLogger();
    assert.deepEqual(entrypoint(meta(), 'worker', log), ['/cnb/process/worker']);
    assert.deepEqual(entrypoint(meta({ buildpackDefaultProcessType: 'web' }), undefined, log), [
      '/cnb/process/web',
    ]);
    assert.deepEqual(entrypoint(meta(), undefined, log), ['/cnb/lifecycle/launcher']);
    assert.throws(
      () => entrypoint(meta(), 'nope', log),
      (e: { exitCode: number; message: string }) => {
        assert.equal(e.exitCode, 62);
        assert.match(e.message, /tried to set nope to default but it doesn't exist/);
        return true;
      },
    );
  });

  it('env: CNB_* and PATH=/cnb/process:/cnb/lifecycle:<run image PATH> (D-80)', () => {
    const base = { config: { Env: ['PATH=/usr/bin:/bin', 'X=1'] } } as unknown as ImageConfig;
    assert.deepEqual(imageEnv(base, '/layers', '/workspace', '0.12'), {
      CNB_LAYERS_DIR: '/layers',
      CNB_APP_DIR: '/workspace',
      CNB_PLATFORM_API: '0.12',
      PATH: '/cnb/process:/cnb/lifecycle:/usr/bin:/bin',
    });
    assert.equal(
      imageEnv({ config: {} } as unknown as ImageConfig, '/l', '/w', '0.12').PATH,
      '/cnb/process:/cnb/lifecycle',
    );
  });

  it('build metadata label: processes with buildpackID, buildpacks without api, launcher', () => {
    const v = JSON.parse(buildMetadataLabel(meta(), LAUNCHER, parseApi('0.12')!));
    assert.deepEqual(v.buildpacks, [{ id: 'a/b', version: '1', homepage: 'https://x' }]);
    assert.deepEqual(v.processes[0], {
      type: 'web',
      command: ['run'],
      args: ['x'],
      direct: true,
      buildpackID: 'a/b',
      'working-dir': '/w',
    });
    assert.equal(v.bom, undefined);
    assert.deepEqual(v.launcher, { version: '1.2', source: { git: { repository: 'r', commit: 'c' } } });
  });

  it('build metadata label before 0.10: command a string, its other entries lead args (D-311)', () => {
    const m = meta({
      processes: [{ type: 'sh', command: ['sh', '-c'], args: ['echo hi'], direct: true, buildpackId: 'a/b' }],
    });
    const at = (api: string) => JSON.parse(buildMetadataLabel(m, LAUNCHER, parseApi(api)!)).processes[0];
    assert.deepEqual([at('0.9').command, at('0.9').args], ['sh', ['-c', 'echo hi']]);
    assert.deepEqual([at('0.10').command, at('0.10').args], [['sh', '-c'], ['echo hi']]);
  });

  it('build metadata label before 0.9: the legacy bom, null when empty (platform-0.8.md "Labels")', () => {
    const bom = [{ name: 'dep', buildpack: { id: 'a/b', version: '1' } }];
    const at = (api: string, over: Partial<BuildMetadata>) =>
      JSON.parse(buildMetadataLabel(meta(over), LAUNCHER, parseApi(api)!));
    assert.deepEqual(at('0.8', { bom }).bom, bom);
    assert.equal(at('0.8', {}).bom, null);
    assert.equal('bom' in at('0.9', { bom }), false);
  });

  it('run image for the label: the run.toml entry naming the image or a mirror, else the first', () => {
    const run = {
      images: [
        { image: 'reg/a', mirrors: ['m/a'] },
        { image: 'reg/b', mirrors: ['m1/b', 'm2/b'] },
      ],
    };
    assert.deepEqual(runImageForLabel(run, 'm2/b'), { image: 'reg/b', mirrors: ['m1/b', 'm2/b'] });
    assert.deepEqual(runImageForLabel(run, 'other'), { image: 'reg/a', mirrors: ['m/a'] });
    assert.deepEqual(runImageForLabel(undefined, 'x'), { image: 'x' });
    assert.deepEqual(runImageForLabel({ images: [] }, undefined), {});
  });
});
