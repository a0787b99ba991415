import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApi } from '../platform/api.ts';
import { isLifecycleError } from '../platform/errors.ts';
import { type LaunchProcess, parseLaunchToml, processTypeProblem } from './launch.ts';
import { parseToml } from './toml.ts';

const api = (v: string) => parseApi(v)!;
const F = '/layers/bp/launch.toml';

function parse(text: string, v: string, warnings: string[] = []) {
  return parseLaunchToml(parseToml(text, F), F, api(v), (m) => warnings.push(m));
}

// buildpack.md "launch.toml (TOML)"; BUILDPACK-API-VERSIONS.md section J (API differences).
describe('launch.toml processes by Buildpack API', () => {
  const cases: Array<[string, string, string, LaunchProcess]> = [
    [
      '0.7 string command, direct defaults to false',
      '0.7',
      '[[processes]]\ntype = "web"\ncommand = "echo hi"\nargs = ["a"]',
      { type: 'web', command: ['echo hi'], args: ['a'], direct: false, default: false },
    ],
    [
      '0.8 direct = true is kept, working-dir honoured',
      '0.8',
      '[[processes]]\ntype = "web"\ncommand = "/bin/app"\ndirect = true\nworking-dir = "/w"',
      { type: 'web', command: ['/bin/app'], args: [], direct: true, default: false, workingDir: '/w' },
    ],
    [
      '0.9 array command, always direct',
      '0.9',
      '[[processes]]\ntype = "web"\ncommand = ["node", "x.js"]\nargs = ["--p"]\ndefault = true',
      { type: 'web', command: ['node', 'x.js'], args: ['--p'], direct: true, default: true },
    ],
    [
      '0.12 exec-env kept',
      '0.12',
      '[[processes]]\ntype = "t"\ncommand = ["t"]\nexec-env = ["test"]',
      { type: 't', command: ['t'], args: [], direct: true, default: false, execEnv: ['test'] },
    ],
  ];
  for (const [name, v, text, want] of cases) {
    it(name, () => assert.deepEqual(parse(text, v).processes, [want]));
  }

  const errors: Array<[string, string, string, RegExp]> = [
    ['array command before 0.9', '0.8', '[[processes]]\ntype = "w"\ncommand = ["a"]', /must be a string/],
    ['string command from 0.9', '0.9', '[[processes]]\ntype = "w"\ncommand = "a"', /must be an array/],
    [
      'direct from 0.9',
      '0.10',
      '[[processes]]\ntype = "w"\ncommand = ["a"]\ndirect = false',
      /process\.direct is not supported/,
    ],
    ['missing command', '0.9', '[[processes]]\ntype = "w"', /command: is required/],
    ['missing type', '0.9', '[[processes]]\ncommand = ["a"]', /processes\[0\]\.type: is required/],
    [
      'two defaults in one buildpack',
      '0.9',
      '[[processes]]\ntype = "a"\ncommand = ["a"]\ndefault = true\n[[processes]]\ntype = "b"\ncommand = ["b"]\ndefault = true',
      /multiple default process types/,
    ],
    ['label without value', '0.9', '[[labels]]\nkey = "k"', /labels\[0\]\.value: is required/],
    ['bom with top-level version', '0.7', '[[bom]]\nname = "n"\nversion = "1"', /top level version/],
  ];
  for (const [name, v, text, re] of errors) {
    it(`rejects ${name}, naming the file`, () =>
      assert.throws(
        () => parse(text, v),
        (e: unknown) => isLifecycleError(e) && re.test(e.message) && e.message.includes(F),
      ));
  }

  it('drops working-dir with a warning before 0.8', () => {
    const w: string[] = [];
    const p = parse('[[processes]]\ntype = "web"\ncommand = "x"\nworking-dir = "/w"', '0.7', w);
    assert.equal(p.processes[0]?.workingDir, undefined);
    assert.match(w[0] ?? '', /working directory isn't supported.*'web'/);
  });

  it('warns about duplicate and non-standard process types', () => {
    const w: string[] = [];
    parse(
      '[[processes]]\ntype = "a b"\ncommand = ["x"]\n[[processes]]\ntype = "a b"\ncommand = ["y"]',
      '0.9',
      w,
    );
    assert.ok(w.some((m) => m.includes('more than once')));
    assert.ok(w.some((m) => m.includes("'a b' should contain only")));
  });

  it('reads labels, slices and the legacy bom', () => {
    const l = parse(
      '[[labels]]\nkey = "k"\nvalue = "v"\n[[slices]]\npaths = ["a/*"]\n[[slices]]\n[[bom]]\nname = "n"\n[bom.metadata]\nversion = "1"',
      '0.7',
    );
    assert.deepEqual(l.labels, [{ key: 'k', value: 'v' }]);
    assert.deepEqual(l.slices, [{ paths: ['a/*'] }, { paths: [] }]);
    assert.deepEqual(JSON.parse(JSON.stringify(l.bom)), [{ name: 'n', metadata: { version: '1' } }]);
  });
});

// S-5: only types that cannot be a file name under /cnb/process are invalid.
describe('processTypeProblem', () => {
  const cases: Array<[string, ReturnType<typeof processTypeProblem>]> = [
    ['web', undefined],
    ['my-proc_1.2', undefined],
    ['with space', 'nonstandard'],
    ['ünï', 'nonstandard'],
    ['a/b', 'invalid'],
    ['a:b', 'invalid'],
    ['a|b', 'invalid'],
    ['a&b', 'invalid'],
    ['a>b', 'invalid'],
    ['a\\b', 'invalid'],
    ['..', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [t, want] of cases) it(JSON.stringify(t), () => assert.equal(processTypeProblem(t), want));
});
