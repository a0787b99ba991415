import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerTypes } from '../files/index.ts';
import { isLifecycleError } from '../platform/errors.ts';
import { classifySbomFiles, type SbomFile, validateSbomFiles } from './build-sbom.ts';

const t = (launch: boolean, build: boolean, cache: boolean): LayerTypes => ({ launch, build, cache });
const layers = new Map<string, LayerTypes>([
  ['run', t(true, false, false)],
  ['tools', t(false, true, false)],
  ['both', t(true, false, true)],
  ['cached', t(false, false, true)],
]);

// buildpack.md "Software-Bill-of-Materials"; platform.md "exporter" Outputs.
describe('classifySbomFiles', () => {
  const cases: Array<[string, Array<Omit<SbomFile, 'fileName'>>]> = [
    ['launch.sbom.cdx.json', [{ kind: 'launch', ext: 'cdx.json' }]],
    ['build.sbom.spdx.json', [{ kind: 'build', ext: 'spdx.json' }]],
    ['run.sbom.syft.json', [{ layer: 'run', kind: 'launch', ext: 'syft.json' }]],
    ['tools.sbom.cdx.json', [{ layer: 'tools', kind: 'build', ext: 'cdx.json' }]],
    [
      'both.sbom.cdx.json',
      [
        { layer: 'both', kind: 'launch', ext: 'cdx.json' },
        { layer: 'both', kind: 'cache', ext: 'cdx.json' },
      ],
    ],
    [
      'cached.sbom.cdx.json',
      [
        { layer: 'cached', kind: 'build', ext: 'cdx.json' },
        { layer: 'cached', kind: 'cache', ext: 'cdx.json' },
      ],
    ],
    ['nolayer.sbom.cdx.json', []],
    ['run.toml', []],
    ['run.sbom.cdx.txt', []],
    ['run.sbom.weird.json', [{ layer: 'run', kind: 'launch', ext: 'weird.json' }]],
  ];
  for (const [file, want] of cases) {
    it(file, () =>
      assert.deepEqual(
        classifySbomFiles([file], layers),
        want.map((w) => ({ fileName: file, ...w })),
      ),
    );
  }
});

describe('validateSbomFiles', () => {
  const f = (ext: string): SbomFile => ({ fileName: `launch.sbom.${ext}`, kind: 'launch', ext });
  const cases: Array<[string, string, string[], RegExp | undefined]> = [
    ['declared', 'cdx.json', ['application/vnd.cyclonedx+json'], undefined],
    ['declared with parameters', 'spdx.json', ['application/spdx+json; version=2.2'], undefined],
    ['undeclared', 'syft.json', ['application/spdx+json'], /undeclared SBOM media type/],
    ['unsupported extension', 'weird.json', ['application/spdx+json'], /unsupported SBOM file format/],
  ];
  for (const [name, ext, declared, err] of cases) {
    it(name, () => {
      const run = () => validateSbomFiles([f(ext)], declared, 'bp@1', '/layers/bp');
      if (!err) assert.doesNotThrow(run);
      else
        assert.throws(run, (e: unknown) => isLifecycleError(e) && e.exitCode === 52 && err.test(e.message));
    });
  }
});
