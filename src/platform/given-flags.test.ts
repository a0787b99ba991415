import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { givenValue, listItems, mergeList, type RawFlagValue } from './given-flags.ts';

// docs/decisions.md D-270..D-272: empty flag values are not given; list items split on commas.
describe('givenValue (an empty flag value is not given, D-270)', () => {
  const cases: [string, RawFlagValue, RawFlagValue | undefined][] = [
    ['empty string (-cache-image=)', '', undefined],
    ['a value', '/layers', '/layers'],
    ['a value that is only spaces is kept', ' ', ' '],
    ['bool true', true, true],
    ['bool false', false, false],
    ['list of one empty occurrence (-tag=)', [''], undefined],
    ['list with empty occurrences dropped', ['', 'a:1', ''], ['a:1']],
    ['list of comma-separated values', ['a:5000,b'], ['a:5000', 'b']],
    ['list of only commas', [',,'], undefined],
  ];
  for (const [name, raw, want] of cases) it(name, () => assert.deepEqual(givenValue(raw), want));
});

describe('listItems (D-272)', () => {
  const cases: [string | string[], string[]][] = [
    ['a:5000, b', ['a:5000', 'b']],
    ['', []],
    [
      ['x', 'y,z'],
      ['x', 'y', 'z'],
    ],
    [[' '], []],
  ];
  for (const [raw, want] of cases) it(JSON.stringify(raw), () => assert.deepEqual(listItems(raw), want));
});

describe('mergeList (env items, then flag items, each once, D-271)', () => {
  const cases: [string[], string[], string[]][] = [
    [[], ['a'], ['a']],
    [['a'], [], ['a']],
    [
      ['a', 'b'],
      ['b', 'c'],
      ['a', 'b', 'c'],
    ],
  ];
  for (const [env, flags, want] of cases)
    it(`${env} + ${flags}`, () => assert.deepEqual(mergeList(env, flags), want));
});
