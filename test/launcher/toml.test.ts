// The launcher's TOML reader (launcher/toml.c) against TOML 1.0, checked black-box through
// metadata.toml (platform.md "metadata.toml": invalid input exits 80 with a line number) and
// cross-checked with smol-toml, the serializer/parser the rest of the lifecycle uses.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { Fixture } from './support.ts';

const f = new Fixture();
after(() => f.cleanup());

/** Documents every TOML 1.0 parser must accept. None defines `buildpacks` or `processes`. */
const valid: string[] = [
  '',
  '# only a comment\n',
  'a = "x"\r\nb = \'y\'\r\n',
  'a = "tab\\there \\u00e9 \\U0001F600 \\\\ \\""\n',
  'a = """\nfirst\n  second \\\n  joined\n"""\n',
  'a = """""quotes at the end"""""\n',
  "a = '''\nraw \\n 'single' ''quotes'' '''\n",
  '"quoted key" = 1\n\'literal key\' = 2\n"" = 3\n',
  'a.b.c = 1\na.b.d = 2\n',
  'site."google.com" = true\n',
  'i = [1, 2, 3]\nj = [ "a", \'b\', """c""" ]\nk = [[1, 2], ["x"], []]\nl = [\n  1, # comment\n  2,\n]\n',
  'int = [+99, 42, 0, -17, 1_000, 0xDEAD_beef, 0o755, 0b1101]\n',
  'flt = [+1.0, 3.1415, -0.01, 5e+22, 1e06, -2E-2, 6.626e-34, 224_617.445_991, inf, -inf, nan, +nan, 0.0, -0.0]\n',
  'b = [true, false]\n',
  'odt = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00-07:00, 1979-05-27T00:32:00.999999+07:00, 1979-05-27 07:32:00Z]\n',
  'ldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00.5\nleap = 2000-02-29\n',
  'inline = { x = 1, y = { z = "deep" }, "q k" = [1] }\nempty = {}\n',
  '[table]\nkey = 1\n[table.sub]\nkey = 2\n[other]\n',
  '[a.b.c]\n[a]\nd = 1\n',
  '[[arr]]\nx = 1\n[[arr]]\nx = 2\n[arr.sub]\ny = 3\n[[arr.list]]\nz = 4\n',
  '[ spaced . "header" ]\nk = 1\n',
  'k = "v" # trailing comment\n',
  '\uFEFFbom = 1\n',
];

/**
 * Documents the reader rejects, with its message. `strict` marks TOML 1.0 rules smol-toml relaxes
 * (TOML 1.1 inline-table trailing commas, calendar checks) and the reader's own nesting limit.
 */
const invalid: Array<[string, RegExp, 'strict'?]> = [
  ['a = "unterminated\n', /line 1: newline in a single-line string/],
  ['a = "bad \\q escape"\n', /invalid escape '\\q'/],
  ['a = "\\uD800"\n', /not a Unicode scalar value/],
  ['a = bare\n', /strings must be quoted/],
  ['a = 1\na = 2\n', /line 2: duplicate key 'a'/],
  ['[t]\n[t]\n', /line 2: table 't' is defined more than once/],
  ['a = 1\n[a]\n', /line 2: table 'a' is defined more than once/],
  ['a = [1, 2\n', /expected ',' or '\]' in array/],
  ['a = { x = 1, }\n', /invalid character '}' in key/, 'strict'],
  ['a = { x = 1\n', /expected ',' or '\}' in inline table/],
  ['a = 01\n', /invalid number '01'/],
  ['a = 1__0\n', /invalid number '1__0'/],
  ['a = 0x\n', /invalid integer '0x'/],
  ['a = 1.\n', /invalid number '1\.'/],
  ['a = .5\n', /invalid number '\.5'/],
  ['a = 9223372036854775808\n', /integer out of range/],
  ['a = 1979-02-30\n', /invalid date-time '1979-02-30'/, 'strict'],
  ['a = 1979-05-27T25:00:00Z\n', /invalid date-time/],
  ['a = "x" b = "y"\n', /expected the end of the line, found 'b'/],
  ['a = "x"\rb = 1\n', /line 1: expected the end of the line/],
  ['a = true\u0000\n', /invalid character in value/],
  ['key without value\n', /expected '=' after key/],
  ['= "no key"\n', /invalid character '=' in key/],
  ['[unclosed\n', /expected '\]' to close the table header/],
  ['[[a]]\n[a]\n', /table 'a' is defined more than once/],
  ['a = [1]\n[[a]]\n', /'a' is already defined and is not an array of tables/],
  ['a = { b = 1 }\na.c = 2\n', /cannot add keys to 'a'/],
  ['a = "ctrl \u0001 char"\n', /control character in string/],
  ['# comment \u0007 bell\n', /control character in comment/],
  ['a = """too many quotes""""""\n', /too many quotes/],
  [`a = ${'['.repeat(100)}${']'.repeat(100)}\n`, /nested too deeply/, 'strict'],
];

function launchStatus(doc: string): { status: number | null; stderr: string } {
  f.metadata(doc);
  const r = f.run(['--', 'true']);
  return { status: r.status, stderr: r.stderr };
}

describe('launcher TOML reader: valid TOML 1.0 (metadata.toml is read)', () => {
  for (const doc of valid) {
    it(`accepts ${JSON.stringify(doc).slice(0, 70)}`, () => {
      assert.doesNotThrow(() => parse(doc), 'smol-toml agrees the document is valid');
      const r = launchStatus(doc);
      assert.equal(r.status, 0, r.stderr);
    });
  }
});

describe('launcher TOML reader: 64-bit integers', () => {
  it('accepts the whole int64 range (beyond what JavaScript numbers hold)', () => {
    const r = launchStatus('int = [-9223372036854775808, 9223372036854775807, 0x7fffffffffffffff]\n');
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('launcher TOML reader: invalid TOML is rejected clearly (exit 80, line and reason)', () => {
  for (const [doc, message, strict] of invalid) {
    it(`rejects ${JSON.stringify(doc).slice(0, 70)}`, () => {
      if (!strict) assert.throws(() => parse(doc), 'smol-toml agrees the document is invalid');
      const r = launchStatus(doc);
      assert.equal(r.status, 80);
      assert.match(
        r.stderr,
        /^ERROR: failed to launch: failed to read metadata .*metadata\.toml: line \d+: /,
      );
      assert.match(r.stderr, message);
    });
  }

  it('rejects invalid UTF-8', () => {
    writeFileSync(join(f.layers, 'config', 'metadata.toml'), Buffer.from('a = "\xff"\n', 'latin1'));
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 80);
    assert.match(r.stderr, /line 1: invalid UTF-8/);
  });
});
