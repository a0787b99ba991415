// The launcher binary itself (DESIGN.md "Why the launcher is C"): static, no interpreter, <= 1 MiB.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { launcherPath } from './support.ts';

/** ELF program header types present in a 64-bit little-endian executable. */
function segmentTypes(bin: Buffer): number[] {
  assert.equal(bin.subarray(0, 4).toString('latin1'), '\x7fELF', 'an ELF file');
  assert.equal(bin[4], 2, '64-bit');
  assert.equal(bin[5], 1, 'little-endian');
  const phoff = Number(bin.readBigUInt64LE(0x20));
  const phentsize = bin.readUInt16LE(0x36);
  const phnum = bin.readUInt16LE(0x38);
  return Array.from({ length: phnum }, (_, i) => bin.readUInt32LE(phoff + i * phentsize));
}

describe('launcher binary (DESIGN.md "Why the launcher is C")', () => {
  it('is a static executable (no PT_INTERP, no PT_DYNAMIC) of at most 1 MiB', () => {
    const path = launcherPath();
    const size = statSync(path).size;
    assert.ok(size <= 1024 * 1024, `${size} bytes`);
    assert.ok((statSync(path).mode & 0o111) !== 0, 'executable');
    const types = segmentTypes(readFileSync(path));
    assert.equal(types.includes(3), false, 'PT_INTERP: needs a dynamic loader');
    assert.equal(types.includes(2), false, 'PT_DYNAMIC: dynamically linked');
  });
});
