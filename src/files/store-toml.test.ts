import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readStoreToml, writeStoreToml } from './store-toml.ts';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'files-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// buildpack.md "store.toml (TOML)".
describe('store.toml', () => {
  it('round-trips [metadata]; missing is undefined; other keys are ignored', () =>
    withDir(async (dir) => {
      const f = join(dir, 'store.toml');
      assert.equal(await readStoreToml(f), undefined);
      await writeStoreToml(f, { metadata: { a: 1, b: { c: 'd' } } });
      assert.deepEqual(plain(await readStoreToml(f)), { metadata: { a: 1, b: { c: 'd' } } });
      await writeFile(f, 'other = 1\n');
      assert.deepEqual(await readStoreToml(f), { metadata: {} });
      await writeFile(f, 'metadata = 1\n');
      await assert.rejects(readStoreToml(f), /metadata: expected a table/);
    }));
});
