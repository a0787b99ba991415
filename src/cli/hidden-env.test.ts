import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HIDDEN_ENV, HIDDEN_PREFIX, RUNTIME_ENV_MARKER, restoreHiddenEnv } from './hidden-env.ts';

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

  it("takes out what the runtime set for itself and puts the platform's own value back (D-437)", () => {
    const tuned = 'glibc.malloc.trim_threshold=67108864';
    const own: Record<string, string | undefined> = {
      GLIBC_TUNABLES: tuned,
      [RUNTIME_ENV_MARKER]: 'GLIBC_TUNABLES',
      [`${HIDDEN_PREFIX}GLIBC_TUNABLES`]: 'glibc.malloc.check=3',
      PATH: '/bin',
    };
    assert.deepEqual(restoreHiddenEnv(own), { GLIBC_TUNABLES: tuned });
    assert.deepEqual(own, { GLIBC_TUNABLES: 'glibc.malloc.check=3', PATH: '/bin' });
    const none: Record<string, string | undefined> = {
      GLIBC_TUNABLES: tuned,
      [RUNTIME_ENV_MARKER]: 'GLIBC_TUNABLES',
    };
    assert.deepEqual(restoreHiddenEnv(none), { GLIBC_TUNABLES: tuned });
    assert.deepEqual(none, {}, 'the platform set none: the children get none');
    const stray: Record<string, string | undefined> = { PATH: '/bin', [RUNTIME_ENV_MARKER]: 'PATH,' };
    assert.deepEqual(restoreHiddenEnv(stray), {}, 'only the variables the C program sets');
    assert.deepEqual(stray, { PATH: '/bin' });
    const direct: Record<string, string | undefined> = { GLIBC_TUNABLES: 'x' };
    assert.deepEqual(restoreHiddenEnv(direct), {}, 'started without the C program');
    assert.deepEqual(direct, { GLIBC_TUNABLES: 'x' });
  });

  it('names the same variables as runtime/lifecycle.c', () => {
    const c = readFileSync(join(import.meta.dirname, '..', '..', 'runtime', 'lifecycle.c'), 'utf8');
    const list = /HIDDEN\[\] = \{([^}]*)\}/.exec(c)?.[1] ?? '';
    const names = [...list.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, [...HIDDEN_ENV]);
    assert.match(c, new RegExp(`#define HIDDEN_PREFIX "${HIDDEN_PREFIX}"`));
    assert.match(c, new RegExp(`#define RUNTIME_ENV_MARKER "${RUNTIME_ENV_MARKER}"`));
  });
});
