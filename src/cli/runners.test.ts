import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/index.ts';
import { dockerHostFrom, ignoredInputWarnings, rebaserRunImage, refuseExporterRunImage } from './runners.ts';

describe('CLI edge: DOCKER_HOST becomes the typed dockerHost option', () => {
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['unset: the library default (the standard socket)', {}, undefined],
    ['empty: as unset, like the Docker CLI', { DOCKER_HOST: '' }, undefined],
    ['tcp', { DOCKER_HOST: 'tcp://10.0.0.1:2375' }, 'tcp://10.0.0.1:2375'],
    ['unix', { DOCKER_HOST: 'unix:///run/d.sock' }, 'unix:///run/d.sock'],
  ];
  for (const [name, env, want] of cases) it(name, () => assert.equal(dockerHostFrom(env), want));
});

describe('CLI edge: inputs the reference warns about and ignores (docs/reference-behaviour.md §1)', () => {
  const none = { daemon: false, parallel: false };
  const launchCache = 'Ignoring -launch-cache, only intended for use with -daemon';
  const parallel =
    'Parallel export has been enabled, but it has not taken effect because no cache has been specified.';
  it('exporter: -launch-cache without -daemon', () => {
    assert.deepEqual(ignoredInputWarnings('exporter', { ...none, launchCache: '/lc' }), [launchCache]);
    assert.deepEqual(ignoredInputWarnings('exporter', { ...none, launchCache: '/lc', daemon: true }), []);
    // the exporter does not check -parallel (the reference's ResolveInputs for Export)
    assert.deepEqual(ignoredInputWarnings('exporter', { ...none, parallel: true }), []);
  });
  it('creator: -parallel without a cache image or dir', () => {
    assert.deepEqual(ignoredInputWarnings('creator', { ...none, parallel: true }), [parallel]);
    assert.deepEqual(ignoredInputWarnings('creator', { ...none, parallel: true, cacheDir: '/c' }), []);
    assert.deepEqual(ignoredInputWarnings('creator', { ...none, parallel: true, cacheImage: 'r/c' }), []);
    // the creator's -launch-cache check is the analyzer's (analyze.ts), printed once
    assert.deepEqual(ignoredInputWarnings('creator', { ...none, launchCache: '/lc' }), []);
  });
});

describe('CLI edge: -run-image and the deprecated -image (D-304, D-312)', () => {
  const exit3 = (m: RegExp) => (e: unknown) => isLifecycleError(e) && e.exitCode === 3 && m.test(e.message);
  const ENV = 'run:env';
  const exporter: [string, { runImage?: string; deprecatedRunImage?: string }, RegExp | undefined][] = [
    ['nothing given', {}, undefined],
    ['-run-image equal to CNB_RUN_IMAGE (the env default)', { runImage: ENV }, undefined],
    ['an empty -image is not given', { runImage: ENV, deprecatedRunImage: '' }, undefined],
    ['-run-image other than CNB_RUN_IMAGE', { runImage: 'run:other' }, /-run-image is unsupported/],
    ['-image', { runImage: ENV, deprecatedRunImage: 'run:x' }, /-image is unsupported/],
    [
      'both: -run-image is named first',
      { runImage: 'a', deprecatedRunImage: 'b' },
      /-run-image is unsupported/,
    ],
  ];
  for (const [name, i, err] of exporter)
    it(`exporter: ${name}`, () => {
      if (err) assert.throws(() => refuseExporterRunImage(i, ENV), exit3(err));
      else refuseExporterRunImage(i, ENV);
    });
  const rebaser: [string, { runImage?: string; deprecatedRunImage?: string }, string | RegExp | undefined][] =
    [
      ['-run-image', { runImage: 'run:b' }, 'run:b'],
      ['neither', {}, undefined],
      [
        '-image alone (CNB_RUN_IMAGE as the run image input)',
        { runImage: ENV, deprecatedRunImage: 'run:x' },
        'run:x',
      ],
      ['-image with CNB_RUN_IMAGE unset', { deprecatedRunImage: 'run:x' }, 'run:x'],
      [
        '-image and another -run-image',
        { runImage: 'run:b', deprecatedRunImage: 'run:x' },
        /supply only one/,
      ],
    ];
  for (const [name, i, want] of rebaser)
    it(`rebaser: ${name}`, () => {
      const env = name.includes('unset') ? undefined : ENV;
      if (want instanceof RegExp) assert.throws(() => rebaserRunImage(i, env), exit3(want));
      else assert.equal(rebaserRunImage(i, env), want);
    });
});
