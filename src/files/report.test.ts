import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { plain, withTempDir } from '../../test/support/temp-dir.ts';
import { parseReport, readReport, reportToToml, writeReport } from './report.ts';
import { parseToml } from './toml.ts';

// platform.md "report.toml (TOML)".
describe('report.toml', () => {
  it('registry export: tags, digest, manifest-size', () => {
    assert.deepEqual(
      plain(reportToToml({ image: { tags: ['r/a:1'], digest: 'sha256:x', manifestSize: 123 } })),
      {
        image: { tags: ['r/a:1'], digest: 'sha256:x', 'manifest-size': 123 },
      },
    );
  });
  it('daemon export: tags, image-id; no manifest-size when 0', () => {
    assert.deepEqual(plain(reportToToml({ image: { tags: ['a'], imageId: 'abc', manifestSize: 0 } })), {
      image: { tags: ['a'], 'image-id': 'abc' },
    });
  });
  it('reads manifest-size as a number or a numeric string', () => {
    assert.equal(parseReport(parseToml('[image]\nmanifest-size = "42"', 'r'), 'r').image.manifestSize, 42);
    assert.throws(() => parseReport(parseToml('[image]\nmanifest-size = "x"', 'r'), 'r'), /manifest-size/);
  });
  it('round-trips through a file', () =>
    withTempDir(async (dir) => {
      const f = join(dir, 'report.toml');
      const r = { image: { tags: ['a', 'b'], digest: 'sha256:d', manifestSize: 7 } };
      await writeReport(f, r);
      assert.deepEqual(plain(await readReport(f)), r);
    }));
});
