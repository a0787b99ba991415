import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HIDDEN_ENV, HIDDEN_PREFIX, restoreHiddenEnv } from './hidden-env.ts';

describe('variables moved aside by the lifecycle executable (D-251)', () => {
  it('puts each one back under its own name and drops the hidden copy', () => {
    const env: Record<string, string | undefined> = {
      [`${HIDDEN_PREFIX}NODE_OPTIONS`]: '--require /x',
      [`${HIDDEN_PREFIX}LD_PRELOAD`]: '',
      PATH: '/bin',
    };
    restoreHiddenEnv(env);
    assert.deepEqual(env, { NODE_OPTIONS: '--require /x', LD_PRELOAD: '', PATH: '/bin' });
  });

  it('leaves variables that were not moved alone', () => {
    const env: Record<string, string | undefined> = { NODE_OPTIONS: 'kept', [`${HIDDEN_PREFIX}OTHER`]: 'x' };
    restoreHiddenEnv(env);
    assert.deepEqual(env, { NODE_OPTIONS: 'kept', [`${HIDDEN_PREFIX}OTHER`]: 'x' });
  });

  it('names the same variables as runtime/lifecycle.c', () => {
    const c = readFileSync(join(import.meta.dirname, '..', '..', 'runtime', 'lifecycle.c'), 'utf8');
    const list = /HIDDEN\[\] = \{([^}]*)\}/.exec(c)?.[1] ?? '';
    const names = [...list.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, [...HIDDEN_ENV]);
    assert.match(c, new RegExp(`#define HIDDEN_PREFIX "${HIDDEN_PREFIX}"`));
  });
});
