import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerHostFrom } from './runners.ts';

describe('CLI edge: DOCKER_HOST becomes the typed dockerHost option', () => {
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['unset: the library default (the standard socket)', {}, undefined],
    ['empty: as unset, like the Docker CLI', { DOCKER_HOST: '' }, undefined],
    ['tcp', { DOCKER_HOST: 'tcp://10.0.0.1:2375' }, 'tcp://10.0.0.1:2375'],
    ['unix', { DOCKER_HOST: 'unix:///run/d.sock' }, 'unix:///run/d.sock'],
  ];
  for (const [name, env, want] of cases) it(name, () => assert.equal(dockerHostFrom(env), want));
});
