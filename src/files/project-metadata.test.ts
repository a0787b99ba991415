import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { plain, withTempDir } from '../../test/support/temp-dir.ts';
import {
  parseProjectMetadata,
  projectMetadataLabel,
  readProjectMetadata,
  writeProjectMetadata,
} from './project-metadata.ts';
import { parseToml } from './toml.ts';

// platform.md "project-metadata.toml (TOML)".
describe('project-metadata.toml', () => {
  const cases: Array<[string, string, unknown]> = [
    ['empty', '', {}],
    ['type only', '[source]\ntype = "git"', { source: { type: 'git' } }],
    [
      'full',
      '[source]\ntype = "git"\n[source.version]\ncommit = "abc"\n[source.metadata]\nrepository = "r"',
      { source: { type: 'git', version: { commit: 'abc' }, metadata: { repository: 'r' } } },
    ],
  ];
  for (const [name, text, want] of cases)
    it(name, () => assert.deepEqual(plain(parseProjectMetadata(parseToml(text, 'p'), 'p')), want));
  it('a missing file is empty; round-trips; label JSON', () =>
    withTempDir(async (dir) => {
      const f = join(dir, 'project-metadata.toml');
      assert.deepEqual(await readProjectMetadata(f), {});
      await writeProjectMetadata(f, { source: { type: 'git', version: { commit: 'abc' } } });
      const p = await readProjectMetadata(f);
      assert.equal(projectMetadataLabel(p), '{"source":{"type":"git","version":{"commit":"abc"}}}');
    }));
});
