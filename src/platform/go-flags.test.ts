import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from './errors.ts';
import { type FlagSpec, parseFlags, parseGoBool } from './go-flags.ts';

const specs: FlagSpec[] = [
  { name: 'layers', kind: 'string' },
  { name: 'daemon', kind: 'bool' },
  { name: 'uid', kind: 'int' },
  { name: 'tag', kind: 'list' },
];

// platform.md "Usage": flags are Go flag-package syntax, as the reference lifecycle parses them.
describe('parseFlags (Go flag syntax)', () => {
  const cases: [string, string[], Record<string, unknown>, string[]][] = [
    ['-flag value', ['-layers', '/l'], { layers: '/l' }, []],
    ['-flag=value', ['-layers=/l'], { layers: '/l' }, []],
    ['--flag value', ['--layers', '/l'], { layers: '/l' }, []],
    ['--flag=value with =', ['--layers=a=b'], { layers: 'a=b' }, []],
    ['empty value', ['-layers='], { layers: '' }, []],
    ['empty separate value', ['-layers', ''], { layers: '' }, []],
    ['empty bool value is kept for the resolver (D-270)', ['-daemon='], { daemon: '' }, []],
    ['empty int value is kept for the resolver (D-270)', ['-uid='], { uid: '' }, []],
    ['empty list occurrence', ['-tag='], { tag: [''] }, []],
    ['empty -version= is not -version', ['-version=', 'x'], {}, ['x']],
    ['bool alone', ['-daemon', 'img'], { daemon: true }, ['img']],
    ['bool=false', ['-daemon=false'], { daemon: false }, []],
    ['bool=0', ['-daemon=0'], { daemon: false }, []],
    ['bool does not consume next arg', ['-daemon', 'false'], { daemon: true }, ['false']],
    ['repeatable list', ['-tag', 'a', '-tag=b'], { tag: ['a', 'b'] }, []],
    ['int', ['-uid', '1000'], { uid: '1000' }, []],
    ['positionals after flags', ['-layers', '/l', 'img1', 'img2'], { layers: '/l' }, ['img1', 'img2']],
    ['parsing stops at first positional', ['img', '-daemon'], {}, ['img', '-daemon']],
    ['-- terminates flags', ['-daemon', '--', '-x'], { daemon: true }, ['-x']],
    ['lone - is positional', ['-', '-daemon'], {}, ['-', '-daemon']],
    ['last value wins', ['-layers', 'a', '-layers', 'b'], { layers: 'b' }, []],
    ['value may start with -', ['-layers', '-x'], { layers: '-x' }, []],
  ];
  for (const [name, args, want, pos] of cases) {
    it(name, () => {
      const r = parseFlags(args, specs);
      assert.deepEqual(Object.fromEntries(r.values), want);
      assert.deepEqual(r.positionals, pos);
    });
  }

  const bad: [string, string[], RegExp][] = [
    ['unknown flag', ['-nope'], /flag provided but not defined: -nope/],
    ['missing argument', ['-layers'], /flag needs an argument: -layers/],
    ['bad bool', ['-daemon=maybe'], /invalid boolean value "maybe" for -daemon/],
    ['bad int', ['-uid', 'abc'], /expected an integer/],
    ['triple dash', ['---layers', 'x'], /bad flag syntax/],
    ['-=x', ['-=x'], /bad flag syntax/],
  ];
  for (const [name, args, re] of bad) {
    it(`rejects ${name} with exit code 2 (Go flag package)`, () => {
      assert.throws(
        () => parseFlags(args, specs),
        (e) => isLifecycleError(e) && e.exitCode === 2 && re.test(e.message),
      );
    });
  }

  it('recognises -version anywhere among the flags (docs/reference-behaviour.md §0.1)', () => {
    assert.equal(parseFlags(['-layers', '/l', '-version'], specs).version, true);
    assert.equal(parseFlags(['-daemon', '--version'], specs).version, true);
    assert.equal(parseFlags(['-daemon'], specs).version, false);
  });

  it('recognises -h and -help', () => {
    assert.equal(parseFlags(['-h'], specs).help, true);
    assert.equal(parseFlags(['--help'], specs).help, true);
  });
});

describe('parseGoBool (strconv.ParseBool)', () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True'])
    it(`${t} → true`, () => assert.equal(parseGoBool(t), true));
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False'])
    it(`${f} → false`, () => assert.equal(parseGoBool(f), false));
  for (const x of ['', 'yes', 'tRUE'])
    it(`${JSON.stringify(x)} → undefined`, () => assert.equal(parseGoBool(x), undefined));
});
