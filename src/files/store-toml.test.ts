import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { plain, withTempDir } from '../../test/support/temp-dir.ts';
import { readStoreToml, writeStoreToml } from './store-toml.ts';

// buildpack.md "store.toml (TOML)".
describe('store.toml', () => {
  it('round-trips [metadata]; missing is undefined; other keys are ignored', () =>
    withTempDir(async (dir) => {
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
