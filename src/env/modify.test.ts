import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyEnvFiles,
  applyModifications,
  type EnvAction,
  type EnvFile,
  envModifications,
  modifyValue,
  parseEnvFileName,
  prependPath,
} from './modify.ts';

// buildpack.md "Environment Variable Modification Rules": the name is the file name up to the first
// period; the suffix selects the behaviour; none = override (buildpack dirs) or default (build-config).
describe('parseEnvFileName', () => {
  const cases: Array<[string, EnvAction, ReturnType<typeof parseEnvFileName>]> = [
    ['FOO', 'override', { name: 'FOO', action: 'override' }],
    ['FOO', 'default', { name: 'FOO', action: 'default' }],
    ['FOO.override', 'default', { name: 'FOO', action: 'override' }],
    ['FOO.default', 'override', { name: 'FOO', action: 'default' }],
    ['FOO.append', 'override', { name: 'FOO', action: 'append' }],
    ['FOO.prepend', 'override', { name: 'FOO', action: 'prepend' }],
    ['FOO.delim', 'override', undefined],
    ['FOO.ignore', 'override', undefined],
    ['FOO.bar.append', 'override', undefined],
    ['.hidden', 'override', undefined],
  ];
  for (const [file, def, want] of cases) {
    it(`${file} (no suffix = ${def})`, () => assert.deepEqual(parseEnvFileName(file, def), want));
  }
});

// buildpack.md "Override", "Default", "Append", "Prepend", "Delimiter".
describe('modifyValue', () => {
  const m = (action: EnvAction, value: string, delim = '') => ({ name: 'V', action, value, delim });
  const cases: Array<[string, string | undefined, ReturnType<typeof m>, string]> = [
    ['override replaces', 'old', m('override', 'new'), 'new'],
    ['override sets unset', undefined, m('override', 'new'), 'new'],
    ['override ignores delim', 'old', m('override', 'new', ':'), 'new'],
    ['default keeps a value', 'old', m('default', 'new'), 'old'],
    ['default sets unset', undefined, m('default', 'new'), 'new'],
    ['default sets empty', '', m('default', 'new'), 'new'],
    ['append with delim', 'a', m('append', 'b', ':'), 'a:b'],
    ['append without delim joins directly', 'a', m('append', 'b'), 'ab'],
    ['append to empty has no delim', '', m('append', 'b', ':'), 'b'],
    ['prepend with delim', 'a', m('prepend', 'b', ':'), 'b:a'],
    ['prepend without delim joins directly', 'a', m('prepend', 'b'), 'ba'],
    ['prepend to unset has no delim', undefined, m('prepend', 'b', ':'), 'b'],
    ['multi-char delim', 'a', m('append', 'b', '**'), 'a**b'],
    ['contents verbatim (trailing newline kept)', 'a', m('append', 'b\n', ' '), 'a b\n'],
  ];
  for (const [name, cur, mod, want] of cases) it(name, () => assert.equal(modifyValue(cur, mod), want));
});

describe('envModifications', () => {
  it('pairs each variable with its .delim from the same directory and skips .delim files', () => {
    const files: EnvFile[] = [
      { fileName: 'P.prepend', content: '/x' },
      { fileName: 'P.delim', content: ':' },
      { fileName: 'Q.append', content: 'q' },
    ];
    assert.deepEqual(envModifications(files, 'override'), [
      { name: 'P', action: 'prepend', value: '/x', delim: ':' },
      { name: 'Q', action: 'append', value: 'q', delim: '' },
    ]);
  });
  it('applies files in lexical order (X.append before X.prepend)', () => {
    const files: EnvFile[] = [
      { fileName: 'X.prepend', content: 'pre' },
      { fileName: 'X.append', content: 'app' },
      { fileName: 'X.delim', content: ':' },
    ];
    assert.equal(applyEnvFiles({ X: 'mid' }, files, 'override')['X'], 'pre:mid:app');
  });
});

// platform.md "Operator-Defined Variables": the build-config dir's no-suffix action is `default`.
describe('applyEnvFiles with build-config semantics', () => {
  const cases: Array<[string, Record<string, string>, EnvFile[], Record<string, string>]> = [
    [
      'no suffix does not override a set value',
      { A: 'user' },
      [{ fileName: 'A', content: 'op' }],
      { A: 'user' },
    ],
    ['no suffix sets an unset value', {}, [{ fileName: 'A', content: 'op' }], { A: 'op' }],
    ['explicit override wins', { A: 'user' }, [{ fileName: 'A.override', content: 'op' }], { A: 'op' }],
  ];
  for (const [name, env, files, want] of cases) {
    it(name, () => assert.deepEqual(applyEnvFiles(env, files, 'default'), want));
  }
  it('does not mutate its input', () => {
    const env = { A: '1' };
    applyModifications(env, [{ name: 'A', action: 'override', value: '2', delim: '' }]);
    assert.deepEqual(env, { A: '1' });
  });
});

describe('prependPath', () => {
  it('joins with the separator', () => assert.equal(prependPath('/usr/bin', '/l/bin'), '/l/bin:/usr/bin'));
  it('omits the separator for an empty value', () => assert.equal(prependPath('', '/l/bin'), '/l/bin'));
  it('omits the separator for an unset value', () =>
    assert.equal(prependPath(undefined, '/l/bin'), '/l/bin'));
});
