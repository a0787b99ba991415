import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPlatform, goArch } from './platform.ts';

describe('default platform (D-217): linux on the lifecycle own architecture, Go names', () => {
  const cases: [string, string][] = [
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
    ['ia32', '386'],
    ['ppc64', 'ppc64le'],
    ['riscv64', 'riscv64'],
  ];
  for (const [node, go] of cases) {
    it(`${node} → ${go}`, () => {
      assert.equal(goArch(node), go);
      assert.deepEqual(defaultPlatform(node), { os: 'linux', architecture: go });
    });
  }
});
