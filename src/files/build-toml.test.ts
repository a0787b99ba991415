import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { parseBuildToml, readBuildToml, validateUnmet } from './build-toml.ts';
import { parseToml } from './toml.ts';

const F = '/layers/bp/build.toml';

// buildpack.md "build.toml (TOML)" and "Unmet Buildpack Plan Entries".
describe('build.toml', () => {
  it('reads unmet names and the legacy bom', () => {
    const b = parseBuildToml(
      parseToml('[[unmet]]\nname = "a"\n[[unmet]]\nname = "b"\n[[bom]]\nname = "x"', F),
      F,
    );
    assert.deepEqual(b, { unmet: [{ name: 'a' }, { name: 'b' }], bom: [{ name: 'x' }] });
  });
  it('rejects an unmet entry without a name', () => {
    assert.throws(
      () => parseBuildToml(parseToml('[[unmet]]\n', F), F),
      (e: unknown) => isLifecycleError(e) && /unmet\.name is required/.test(e.message),
    );
  });
  const cases: Array<[string, string[], string[], boolean]> = [
    ['all unmet names in the plan', ['a'], ['a', 'b'], true],
    ['no unmet', [], [], true],
    ['unmet name not in the plan', ['c'], ['a'], false],
  ];
  for (const [name, unmet, plan, ok] of cases) {
    it(`validateUnmet: ${name}`, () => {
      const run = () =>
        validateUnmet(
          unmet.map((n) => ({ name: n })),
          plan,
          F,
        );
      if (ok) assert.doesNotThrow(run);
      else assert.throws(run, /must match a requested dependency/);
    });
  }
  it('a missing build.toml means nothing unmet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'build-toml-'));
    try {
      assert.deepEqual(await readBuildToml(join(dir, 'build.toml')), { unmet: [], bom: [] });
      await writeFile(join(dir, 'build.toml'), '[[unmet]\n');
      await assert.rejects(readBuildToml(join(dir, 'build.toml')), /build\.toml:1:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
