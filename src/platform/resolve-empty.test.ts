import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PhaseName } from './phases.ts';
import { resolveInputs } from './resolve.ts';

const none = () => false;

// docs/decisions.md D-270/D-271: an empty flag value is not given; the env var or the default applies.
describe('resolveInputs: empty flag values are not given (D-270)', () => {
  const cases: [string, PhaseName, string[], Record<string, string>, Record<string, unknown>][] = [
    [
      '-layers= keeps the default',
      'builder',
      ['-layers='],
      {},
      { layers: '/layers', plan: '/layers/plan.toml' },
    ],
    ['-layers= takes CNB_LAYERS_DIR', 'builder', ['-layers='], { CNB_LAYERS_DIR: '/l' }, { layers: '/l' }],
    ['-app= takes the default', 'builder', ['-app='], {}, { app: '/workspace' }],
    [
      '-cache-image= takes CNB_CACHE_IMAGE',
      'restorer',
      ['-cache-image='],
      { CNB_CACHE_IMAGE: 'r/c' },
      { cacheImage: 'r/c' },
    ],
    ['-cache-image= alone is unset', 'restorer', ['-cache-image='], {}, { cacheImage: undefined }],
    ['-cache-dir= alone is unset', 'restorer', ['-cache-dir='], {}, { cacheDir: undefined }],
    [
      '-skip-layers= takes CNB_SKIP_LAYERS',
      'restorer',
      ['-skip-layers='],
      { CNB_SKIP_LAYERS: 'true' },
      { skipLayers: true },
    ],
    ['-skip-layers= alone is false', 'restorer', ['-skip-layers='], {}, { skipLayers: false }],
    [
      '-uid= takes CNB_USER_ID',
      'restorer',
      ['-uid=', '-gid='],
      { CNB_USER_ID: '1000' },
      { uid: 1000, gid: undefined },
    ],
    [
      '-process-type= takes CNB_PROCESS_TYPE',
      'exporter',
      ['-process-type=', 'a'],
      { CNB_PROCESS_TYPE: 'web' },
      { processType: 'web' },
    ],
    ['-process-type= alone is unset', 'exporter', ['-process-type=', 'a'], {}, { processType: undefined }],
    ['-run-image= alone is unset', 'analyzer', ['-run-image=', 'a'], {}, { runImage: undefined }],
    ['-tag= is no tag', 'analyzer', ['-tag=', 'a'], {}, { tags: [] }],
    ['empty -tag occurrences are dropped', 'analyzer', ['-tag=', '-tag', 'a:2', 'a'], {}, { tags: ['a:2'] }],
    [
      '-insecure-registry= takes the env var',
      'exporter',
      ['-insecure-registry=', 'a'],
      { CNB_INSECURE_REGISTRIES: 'r:5000' },
      { insecureRegistries: ['r:5000'] },
    ],
    [
      '-insecure-registry=a,b splits (D-272)',
      'exporter',
      ['-insecure-registry=a,b', 'a'],
      {},
      { insecureRegistries: ['a', 'b'] },
    ],
    [
      '-insecure-registry adds to the env var (D-271)',
      'exporter',
      ['-insecure-registry=b', 'a'],
      { CNB_INSECURE_REGISTRIES: 'a,b' },
      { insecureRegistries: ['a', 'b'] },
    ],
    ['-log-level= keeps the default', 'builder', ['-log-level='], {}, { logLevel: 'info' }],
  ];
  for (const [name, phase, args, env, want] of cases) {
    it(name, () => {
      const { inputs } = resolveInputs(phase, args, env, none);
      const got = Object.fromEntries(
        Object.keys(want).map((k) => [k, (inputs as unknown as Record<string, unknown>)[k]]),
      );
      assert.deepEqual(got, want);
    });
  }
});

/**
 * tektoncd/catalog task/buildpacks-phases 0.3, each step's arguments with the task's default params
 * substituted (CNB_RUN_IMAGE, CNB_CACHE_IMAGE, CNB_INSECURE_REGISTRIES, TAGS empty, no cache workspace;
 * the restore step's script has no CNB_LAYERS_DIR, so `-layers=` is empty there).
 */
describe('resolveInputs: Tekton buildpacks-phases 0.3 step arguments', () => {
  it('analyze', () => {
    const args = [
      '-log-level=info',
      '-layers=/layers',
      '-run-image=',
      '-cache-image=',
      '-uid=1001',
      '-gid=1000',
    ];
    args.push('-insecure-registry=', '-tag=', '-skip-layers=false', 'reg/app');
    const { inputs } = resolveInputs('analyzer', args, {}, none);
    assert.deepEqual(
      [
        inputs.layers,
        inputs.runImage,
        inputs.cacheImage,
        inputs.tags,
        inputs.insecureRegistries,
        inputs.skipLayers,
      ],
      ['/layers', undefined, undefined, [], [], false],
    );
    assert.deepEqual([inputs.uid, inputs.gid, inputs.images], [1001, 1000, ['reg/app']]);
  });
  it('restore (script: empty -layers=, -cache-dir=, -cache-image=, -insecure-registry=)', () => {
    const args = ['-log-level=info', '-build-image=reg/builder', '-group=/layers/group.toml', '-layers='];
    args.push(
      '-cache-dir=',
      '-cache-image=',
      '-uid=1001',
      '-gid=1000',
      '-insecure-registry=',
      '-skip-layers=false',
    );
    const env = { CNB_LOG_LEVEL: 'info', CNB_BUILD_IMAGE: '', CNB_CACHE_IMAGE: '', CNB_SKIP_LAYERS: 'false' };
    const { inputs } = resolveInputs('restorer', args, env, none);
    assert.deepEqual(
      [
        inputs.layers,
        inputs.analyzed,
        inputs.cacheDir,
        inputs.cacheImage,
        inputs.buildImage,
        inputs.skipLayers,
      ],
      ['/layers', '/layers/analyzed.toml', undefined, undefined, 'reg/builder', false],
    );
  });
  it('export', () => {
    const args = [
      '-log-level=info',
      '-app=/workspace/source/',
      '-layers=/layers',
      '-group=/layers/group.toml',
    ];
    args.push('-cache-dir=', '-cache-image=', '-report=/layers/report.toml', '-process-type=web');
    args.push('-uid=1001', '-gid=1000', '-insecure-registry=', 'reg/app');
    const { inputs } = resolveInputs('exporter', args, {}, none);
    assert.deepEqual(
      [inputs.cacheDir, inputs.cacheImage, inputs.processType, inputs.insecureRegistries, inputs.tags],
      [undefined, undefined, 'web', [], []],
    );
  });
});
