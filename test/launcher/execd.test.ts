// exec.d (platform.md "launcher" Execution 2; buildpack.md "Exec.d" and "Exec.d Output (TOML)").
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Fixture, parseEnv0, script } from './support.ts';

const fixtures: Fixture[] = [];
function fixture(): Fixture {
  const f = new Fixture();
  fixtures.push(f);
  return f;
}
after(() => {
  for (const f of fixtures) f.cleanup();
});

/** An exec.d executable that writes `toml` to fd 3 (printf %s, so the text is exact). */
function emits(toml: string, extra = ''): ReturnType<typeof script> {
  const quoted = `'${toml.replaceAll("'", `'\\''`)}'`;
  return script(`${extra}\nprintf '%s' ${quoted} >&3`);
}

function envOf(f: Fixture, args: string[], exe?: string): Map<string, string> {
  const r = exe ? f.run(args, { exe }) : f.run(args);
  assert.equal(r.status, 0, r.stderr);
  return parseEnv0(r.stdout);
}

describe('launcher: exec.d execution (platform.md "launcher" Execution)', () => {
  it('returned variables are set in the launch environment and override env files', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', {
      'env/FROM_FILE': 'file-value',
      'exec.d/setter': emits('FROM_FILE = "execd-value"\nNEW_VAR = "new"\n'),
    });
    const env = envOf(f, ['--', 'env', '-0']);
    assert.equal(env.get('FROM_FILE'), 'execd-value');
    assert.equal(env.get('NEW_VAR'), 'new');
  });

  it('runs in build order, then layer name, then file name; all exec.d/ before any exec.d/<process>/', () => {
    const f = fixture().metadata(
      [
        { id: 'bp/first', api: '0.9' },
        { id: 'bp/second', api: '0.10' },
      ],
      [{ type: 'web', command: ['printenv', 'ORDER'], direct: true, 'buildpack-id': 'bp/first' }],
    );
    const step = (name: string) => script(`printf 'ORDER = "%s"' "\${ORDER:+$ORDER,}${name}" >&3`);
    f.layer('bp/second', 'a', { 'exec.d/1': step('second/a/1'), 'exec.d/web/1': step('second/a/web') });
    f.layer('bp/first', 'b', { 'exec.d/1': step('first/b/1') });
    f.layer('bp/first', 'a', {
      'exec.d/2': step('first/a/2'),
      'exec.d/10': step('first/a/10'),
      'exec.d/web/1': step('first/a/web'),
      'exec.d/other/1': step('never'),
    });
    const r = f.run([], { exe: f.processLink('web') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'first/a/10,first/a/2,first/b/1,second/a/1,first/a/web,second/a/web\n');
  });

  it('each exec.d sees the env files, the user env and earlier exec.d output (reference acceptance)', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [
        {
          type: 'exec.d-checker',
          command: ['printenv', 'VAR_FROM_EXEC_D'],
          direct: true,
          'buildpack-id': 'bp',
        },
      ],
    );
    f.layer('bp', 'some_layer', {
      'exec.d/helper': script(`printf 'VAR_FROM_EXEC_D = "%s:val-from-exec.d"' "$VAR_FROM_EXEC_D" >&3`),
      'exec.d/exec.d-checker/helper': script(
        `printf 'VAR_FROM_EXEC_D = "%s:val-from-exec.d-for-process-type-exec.d-checker"' "$VAR_FROM_EXEC_D" >&3`,
      ),
    });
    const r = f.run([], { exe: f.processLink('exec.d-checker'), env: { VAR_FROM_EXEC_D: 'orig-val' } });
    assert.equal(r.stdout, 'orig-val:val-from-exec.d:val-from-exec.d-for-process-type-exec.d-checker\n');
  });

  it('runs with working directory <app>, stdin empty, stdout and stderr passed through', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'web', command: ['true'], direct: true, 'working-dir': '/', 'buildpack-id': 'bp' }],
    );
    f.layer('bp', 'l', {
      'exec.d/logger': script(
        'echo "Exec.d Working Dir: $(pwd)"; echo to-stderr >&2; cat; echo "$0 was executed"',
      ),
    });
    const r = f.run([], { exe: f.processLink('web'), input: 'should not be read' });
    assert.equal(r.status, 0, r.stderr);
    const exe = join(f.layers, 'bp', 'l', 'exec.d', 'logger');
    assert.equal(r.stdout, `Exec.d Working Dir: ${realpathSync(f.app)}\n${exe} was executed\n`);
    assert.equal(r.stderr, 'to-stderr\n');
  });

  it('a failing exec.d stops the launch (exit 82)', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', { 'exec.d/fails': script('exit 3') });
    const r = f.run(['--', 'echo', 'should not run']);
    assert.equal(r.status, 82);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /exec\.d: .*fails exited with status 3/);
  });

  it('a non-executable exec.d file is a launch error (exit 82)', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', { 'exec.d/not-executable': 'X = "y"' });
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 82);
    assert.match(r.stderr, /not-executable/);
  });
});

describe('launcher: exec.d output TOML (buildpack.md "Exec.d Output (TOML)")', () => {
  const accepted: Array<[string, string, Record<string, string>]> = [
    [
      'basic strings with every escape',
      'A = "q\\" b\\\\ t\\t n\\n r\\r f\\f b\\b u\\u00e9 U\\U0001F600"\n',
      {
        A: 'q" b\\ t\t n\n r\r f\f b\b u\u00e9 U\u{1F600}',
      },
    ],
    ['literal strings', 'B = \'C:\\no\\escapes "here"\'\n', { B: 'C:\\no\\escapes "here"' }],
    [
      'multi-line basic strings (first newline trimmed, line-ending backslash)',
      'C = """\nline1\nline2 \\\n    joined"""\n',
      {
        C: 'line1\nline2 joined',
      },
    ],
    ['multi-line literal strings', "D = '''\nraw \\n ''quoted'' '''\n", { D: "raw \\n ''quoted'' " }],
    [
      'comments, blank lines, CRLF and quoted keys',
      '# comment\r\n\r\nE = "e" # trailing\r\n"F" = "f"\r\n',
      { E: 'e', F: 'f' },
    ],
    ['empty output', '', {}],
  ];
  for (const [name, toml, want] of accepted) {
    it(`accepts ${name}`, () => {
      const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
      f.layer('bp', 'l', { 'exec.d/x': emits(toml) });
      const env = envOf(f, ['--', 'env', '-0']);
      for (const [k, v] of Object.entries(want)) assert.equal(env.get(k), v, k);
    });
  }

  const rejected: Array<[string, string, RegExp]> = [
    ['integers', 'N = 1\n', /key 'N' must be a string, not an integer/],
    ['booleans', 'B = true\n', /key 'B' must be a string, not a boolean/],
    ['arrays', 'A = ["x"]\n', /key 'A' must be a string, not an array/],
    ['tables', '[T]\nx = "y"\n', /key 'T' must be a string, not a table/],
    ['dotted keys', 'a.b = "y"\n', /key 'a' must be a string, not a table/],
    ['date-times', 'D = 1979-05-27T07:32:00Z\n', /key 'D' must be a string, not a date-time/],
    ['invalid date-times', 'D = 1979-02-30\n', /line 1: invalid date-time '1979-02-30'/],
    ['unterminated strings', 'U = "open\n', /line 1: newline in a single-line string/],
    ['invalid escapes', 'E = "\\x41"\n', /line 1: invalid escape '\\x'/],
    ['bare values', 'V = value\n', /line 1: invalid value 'value' \(strings must be quoted\)/],
    ['duplicate keys', 'K = "a"\nK = "b"\n', /line 2: duplicate key 'K'/],
    ['NUL in a value', 'Z = "a\\u0000b"\n', /contains a NUL character/],
    ['names with =', '"A=B" = "x"\n', /not a valid environment variable name/],
  ];
  for (const [name, toml, message] of rejected) {
    it(`rejects ${name} clearly (exit 82)`, () => {
      const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
      f.layer('bp', 'l', { 'exec.d/x': emits(toml) });
      const r = f.run(['--', 'echo', 'should not run']);
      assert.equal(r.status, 82);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /ERROR: failed to launch: exec\.d: .*exec\.d\/x: /);
      assert.match(r.stderr, message);
    });
  }

  it('rejects invalid UTF-8 clearly (exit 82)', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', { 'exec.d/x': script(`printf 'X = "\\377"\\n' >&3`) });
    const r = f.run(['--', 'echo', 'should not run']);
    assert.equal(r.status, 82);
    assert.match(r.stderr, /exec\.d\/x: output is not valid TOML: line 1: invalid UTF-8/);
  });
});
