import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerHostFrom, ignoredInputWarnings } from './runners.ts';

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
