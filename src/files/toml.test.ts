import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_TOML_BYTES, parseToml, readBounded, readToml } from './toml.ts';

describe('toml: bounded, strict reading (D-215)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'toml-unit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('UTF-8 bytes parse like the text', () => {
    assert.equal(parseToml(Buffer.from('a = "café ✓"\n'), 'f.toml')['a'], 'café ✓');
  });

  const cases: [string, Uint8Array, RegExp][] = [
    [
      'Latin-1 byte on line 3',
      Buffer.concat([Buffer.from('a = 1\n\nb = "caf'), Buffer.from([0xe9, 0x22])]),
      /^f\.toml:3:9: invalid UTF-8/,
    ],
    [
      'CESU surrogate bytes',
      Uint8Array.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xed, 0xa0, 0x80, 0x22]),
      /^f\.toml:1:6: invalid UTF-8/,
    ],
    [
      'a BOM-less UTF-16 file: a syntax error naming the place',
      Buffer.from('a = 1\n', 'utf16le'),
      /^f\.toml:1:\d+: /,
    ],
    [
      'inline arrays nested 600 deep',
      Buffer.from(`a = ${'['.repeat(600)}${']'.repeat(600)}\n`),
      /^f\.toml:1:\d+: /,
    ],
    [
      'dotted headers 600 deep',
      Buffer.from(`[${Array.from({ length: 600 }, (_, i) => `k${i}`).join('.')}]\n`),
      /^f\.toml: tables and arrays nest more than 500 levels deep/,
    ],
  ];
  for (const [name, bytes, err] of cases)
    it(name, () => assert.throws(() => parseToml(bytes, 'f.toml'), { message: err }));

  it('readToml refuses a file over the limit naming file, size and limit, before parsing it', async () => {
    const f = join(dir, 'big.toml');
    const big = `a = [${'1,'.repeat(MAX_TOML_BYTES / 2)}1]\n`;
    await writeFile(f, big);
    await assert.rejects(readToml(f, { what: 'order file' }), {
      code: 'ERR_FILE_TOO_LARGE',
      message: `order file ${f} is ${Buffer.byteLength(big)} bytes, more than the limit of ${MAX_TOML_BYTES} bytes (16 MiB); make it smaller`,
    });
    await assert.rejects(readToml(f, { maxBytes: 10 }), { message: /more than the limit of 10 bytes/ });
  });

  it('readBounded reads files up to the limit exactly', async () => {
    const f = join(dir, 'exact');
    await writeFile(f, 'x'.repeat(100));
    assert.equal((await readBounded(f, 100)).length, 100);
    await assert.rejects(readBounded(f, 99), { code: 'ERR_FILE_TOO_LARGE' });
    await writeFile(f, '');
    assert.equal((await readBounded(f, 0)).length, 0);
  });

  it('readToml: invalid UTF-8 is refused naming file and line', async () => {
    const f = join(dir, 'launch.toml');
    await writeFile(
      f,
      Buffer.concat([
        Buffer.from('[[processes]]\ntype = "web"\ncommand = ["caf'),
        Buffer.from([0xe9]),
        Buffer.from('"]\n'),
      ]),
    );
    await assert.rejects(readToml(f), {
      code: 'ERR_INVALID_UTF8',
      message: new RegExp(`^${f}:3:16: invalid UTF-8`),
    });
  });
});
