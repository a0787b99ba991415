import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUtf8Strict, invalidUtf8At, nestsDeeperThan, parseBoundedJson } from './bounded.ts';

describe('bounded: strict UTF-8 (TOML is UTF-8)', () => {
  const cases: [string, number[], { line: number; column: number } | undefined][] = [
    ['ASCII', [...Buffer.from('a = 1\n')], undefined],
    ['valid multi-byte', [...Buffer.from('a = "café ✓ 😀"\n')], undefined],
    ['Latin-1 é on line 2', [...Buffer.from('a = 1\nb = "caf'), 0xe9, 0x22, 0x0a], { line: 2, column: 9 }],
    ['lone continuation byte', [0x61, 0x80], { line: 1, column: 2 }],
    ['truncated sequence at the end', [0x61, 0x0a, 0x0a, 0xe2, 0x82], { line: 3, column: 1 }],
    ['overlong encoding', [0xc0, 0xaf], { line: 1, column: 1 }],
    ['overlong three-byte', [0xe0, 0x80, 0xaf], { line: 1, column: 1 }],
    ['UTF-16 surrogate', [0x20, 0xed, 0xa0, 0x80], { line: 1, column: 2 }],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], { line: 1, column: 1 }],
    ['0xff', [0x0a, 0xff], { line: 2, column: 1 }],
  ];
  for (const [name, bytes, want] of cases)
    it(name, () => assert.deepEqual(invalidUtf8At(Uint8Array.from(bytes)), want));

  it('decodeUtf8Strict names file, line and column', () => {
    assert.equal(decodeUtf8Strict(Buffer.from('x = "ü"'), 'f.toml'), 'x = "ü"');
    assert.throws(() => decodeUtf8Strict(Uint8Array.from([0x61, 0x0a, 0xe9]), '/w/launch.toml'), {
      code: 'ERR_INVALID_UTF8',
      message: /^\/w\/launch\.toml:2:1: invalid UTF-8/,
    });
  });
});

describe('bounded: nesting and size', () => {
  const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const cases: [string, unknown, number, boolean][] = [
    ['scalar', 1, 0, false],
    ['flat object at 1', { a: 1 }, 1, false],
    ['object in object over 1', { a: { b: 1 } }, 1, true],
    ['100k deep array', JSON.parse(nest(100_000)), 1000, true],
    ['1000 deep array at 1000', JSON.parse(nest(1000)), 1000, false],
    ['1001 deep array at 1000', JSON.parse(nest(1001)), 1000, true],
  ];
  for (const [name, v, max, want] of cases) it(name, () => assert.equal(nestsDeeperThan(v, max), want));

  it('parseBoundedJson: invalid, too deep, too large — each naming the input', () => {
    assert.deepEqual(parseBoundedJson('{"a":[1]}', 'label x'), { a: [1] });
    assert.throws(() => parseBoundedJson('{"a":', 'label x of image y'), {
      code: 'ERR_JSON_INVALID',
      message: /^label x of image y is not valid JSON/,
    });
    assert.throws(() => parseBoundedJson(nest(50_000), 'label x'), {
      message: 'label x nests arrays/objects more than 1000 levels deep',
    });
    assert.throws(() => parseBoundedJson('"0123456789"', 'label x', { maxBytes: 5 }), {
      message: 'label x is 12 bytes, more than the limit of 5 bytes',
    });
  });
});
