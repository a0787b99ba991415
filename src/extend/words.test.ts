// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execForm, parsePairs, processWord, splitWords } from './words.ts';

const vars = new Map([
  ['A', 'one'],
  ['EMPTY', ''],
]);

describe('processWord (Dockerfile reference "Environment replacement")', () => {
  const cases: [string, string][] = [
    ['$A', 'one'],
    ['${A}/x', 'one/x'],
    ['${NOPE:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${A:+set}', 'set'],
    ['${NOPE:+set}', ''],
    ["'$A'", '$A'],
    ['"$A b"', 'one b'],
    ['\\$A', '$A'],
    ['"a\\"b"', 'a"b'],
    ['$1x', '$1x'],
  ];
  for (const [input, want] of cases)
    it(`${input} → ${want}`, () => assert.equal(processWord(input, vars), want));
  it('rejects unmatched quotes', () => assert.throws(() => processWord('"abc', vars), /unmatched/));
});

describe('splitWords / parsePairs / execForm', () => {
  it('splits at unquoted blanks', () =>
    assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', '"b c"', "'d e'", 'f\\ g']));
  it('reads KEY=VALUE pairs with quotes and variables', () =>
    assert.deepEqual(parsePairs('X=1 Y="two words" Z=$A', vars, true), [
      ['X', '1'],
      ['Y', 'two words'],
      ['Z', 'one'],
    ]));
  it('reads the legacy KEY value form', () =>
    assert.deepEqual(parsePairs('KEY some value', vars, true), [['KEY', 'some value']]));
  it('refuses a bare word in the pair form', () =>
    assert.throws(() => parsePairs('X=1 Y', vars, true), /KEY=VALUE/));
  it('detects the exec form', () => {
    assert.deepEqual(execForm('["a", "b"]'), ['a', 'b']);
    assert.equal(execForm('echo [x]'), undefined);
    assert.equal(execForm('[not json'), undefined);
  });
});
