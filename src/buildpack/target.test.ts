// Target matching and target env: buildpack.md "Targets", "Deprecations" (`stacks`), "Environment" >
// "Targets"; BUILDPACK-API-VERSIONS.md B and F; docs/reference-behaviour.md §2 "Target filtering".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildpackDescriptor, DescriptorTarget, TargetMetadata } from '../files/index.ts';
import { parseApi } from '../platform/api.ts';
import {
  anyTargetSatisfied,
  buildpackTargets,
  extensionTargets,
  ociArch,
  parseOsRelease,
  targetEnv,
  targetSatisfied,
  withOsRelease,
} from './target.ts';

const image = (t: Partial<TargetMetadata>): TargetMetadata => ({ os: '', arch: '', ...t });
const target = (t: Partial<DescriptorTarget>): DescriptorTarget => ({ distros: [], ...t });
const ubuntu22 = { name: 'ubuntu', version: '22.04' };

describe('targetSatisfied (buildpack.md "Targets")', () => {
  const cases: { name: string; image: TargetMetadata; target: DescriptorTarget; want: boolean }[] = [
    {
      name: 'equal os/arch',
      image: image({ os: 'linux', arch: 'amd64' }),
      target: target({ os: 'linux', arch: 'amd64' }),
      want: true,
    },
    {
      name: 'different arch',
      image: image({ os: 'linux', arch: 'arm64' }),
      target: target({ os: 'linux', arch: 'amd64' }),
      want: false,
    },
    {
      name: 'different os',
      image: image({ os: 'windows', arch: 'amd64' }),
      target: target({ os: 'linux' }),
      want: false,
    },
    {
      name: 'missing target fields match anything',
      image: image({ os: 'linux', arch: 'arm64', archVariant: 'v8' }),
      target: target({}),
      want: true,
    },
    {
      name: 'empty image fields are wildcards',
      image: image({}),
      target: target({ os: 'linux', arch: 'amd64' }),
      want: true,
    },
    {
      name: '"*" is a wildcard',
      image: image({ os: 'linux', arch: 'arm64' }),
      target: target({ os: 'linux', arch: '*' }),
      want: true,
    },
    {
      name: 'variant must match when both set',
      image: image({ os: 'linux', arch: 'arm', archVariant: 'v7' }),
      target: target({ archVariant: 'v6' }),
      want: false,
    },
    {
      name: 'variant wildcard when image has none',
      image: image({ os: 'linux', arch: 'arm' }),
      target: target({ archVariant: 'v6' }),
      want: true,
    },
    {
      name: 'one listed distro matches',
      image: image({ os: 'linux', distro: ubuntu22 }),
      target: target({ distros: [{ name: 'debian', version: '12' }, ubuntu22] }),
      want: true,
    },
    {
      name: 'no listed distro matches',
      image: image({ os: 'linux', distro: ubuntu22 }),
      target: target({ distros: [{ name: 'ubuntu', version: '20.04' }] }),
      want: false,
    },
    {
      name: 'distro version missing in target matches any version',
      image: image({ distro: ubuntu22 }),
      target: target({ distros: [{ name: 'ubuntu' }] }),
      want: true,
    },
    {
      name: 'listed distros but the image has none',
      image: image({ os: 'linux' }),
      target: target({ distros: [ubuntu22] }),
      want: false,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(targetSatisfied(c.image, c.target), c.want));

  it('no targets match anything', () => assert.equal(anyTargetSatisfied(image({ os: 'plan9' }), []), true));
  it('any one target suffices', () =>
    assert.equal(
      anyTargetSatisfied(image({ os: 'linux' }), [target({ os: 'windows' }), target({ os: 'linux' })]),
      true,
    ));
});

function descriptor(d: Partial<BuildpackDescriptor>): BuildpackDescriptor {
  return {
    api: '0.10',
    buildpack: { id: 'a', version: '1', clearEnv: false, sbomFormats: [], licenses: [] },
    order: [],
    targets: [],
    stacks: [],
    dir: '/bp',
    ...d,
  };
}
const api = (s: string) => parseApi(s) ?? { major: 0, minor: 0 };
const bionic = { os: 'linux', arch: 'amd64', distros: [{ name: 'ubuntu', version: '18.04' }] };

describe('buildpackTargets (declared, translated from stacks, inferred)', () => {
  it('declared targets win', () => {
    const t = [target({ os: 'linux', arch: 'arm64' })];
    assert.deepEqual(
      buildpackTargets(descriptor({ targets: t, stacks: [{ id: '*', mixins: [] }] }), api('0.10'), true),
      t,
    );
  });
  it('bionic alone translates at any API', () => {
    const stacks = [{ id: 'io.buildpacks.stacks.bionic', mixins: [] }];
    assert.deepEqual(buildpackTargets(descriptor({ stacks }), api('0.7'), false), [bionic]);
  });
  it('bionic among several stacks translates only for API 0.10+', () => {
    const stacks = [
      { id: 'io.buildpacks.stacks.bionic', mixins: [] },
      { id: 'io.buildpacks.stacks.jammy', mixins: [] },
    ];
    assert.deepEqual(buildpackTargets(descriptor({ stacks }), api('0.10'), false), [bionic]);
    assert.deepEqual(buildpackTargets(descriptor({ stacks }), api('0.9'), true), [
      { os: 'linux', distros: [] },
    ]);
  });
  it('stack "*" is a wildcard target', () => {
    assert.deepEqual(buildpackTargets(descriptor({ stacks: [{ id: '*', mixins: [] }] }), api('0.8'), true), [
      { distros: [] },
    ]);
  });
  it('no targets: os = linux when bin/build exists, else none', () => {
    assert.deepEqual(buildpackTargets(descriptor({}), api('0.10'), true), [{ os: 'linux', distros: [] }]);
    assert.deepEqual(buildpackTargets(descriptor({}), api('0.10'), false), []);
  });
  it('extensions: os = linux when they have executables', () => {
    assert.deepEqual(extensionTargets([], true), [{ os: 'linux', distros: [] }]);
    assert.deepEqual(extensionTargets([], false), []);
  });
});

describe('os-release and target env (buildpack.md "Environment" > "Targets")', () => {
  it('parses ID and VERSION_ID, unquoting', () => {
    assert.deepEqual(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'), ubuntu22);
    assert.deepEqual(parseOsRelease("ID='alpine'\n"), { name: 'alpine', version: '' });
    assert.equal(parseOsRelease('NAME=x\n'), undefined);
  });
  it('fills a missing distro from os-release and defaults os to linux', () => {
    assert.deepEqual(withOsRelease(image({ arch: 'amd64' }), ubuntu22), {
      os: 'linux',
      arch: 'amd64',
      distro: ubuntu22,
    });
    const withDistro = image({ os: 'linux', distro: { name: 'debian', version: '12' } });
    assert.equal(withOsRelease(withDistro, ubuntu22), withDistro);
    assert.deepEqual(withOsRelease(image({}), undefined), image({}));
  });
  it('sets os/arch always (with fallbacks) and the optional ones only when non-empty', () => {
    assert.deepEqual(targetEnv(image({}), 'arm64'), { CNB_TARGET_OS: 'linux', CNB_TARGET_ARCH: 'arm64' });
    assert.deepEqual(
      targetEnv(image({ os: 'linux', arch: 'arm', archVariant: 'v7', distro: ubuntu22 }), 'amd64'),
      {
        CNB_TARGET_OS: 'linux',
        CNB_TARGET_ARCH: 'arm',
        CNB_TARGET_ARCH_VARIANT: 'v7',
        CNB_TARGET_DISTRO_NAME: 'ubuntu',
        CNB_TARGET_DISTRO_VERSION: '22.04',
      },
    );
  });
  it('maps Node architectures to OCI names', () => {
    assert.equal(ociArch('x64'), 'amd64');
    assert.equal(ociArch('arm64'), 'arm64');
    assert.equal(ociArch('riscv64'), 'riscv64');
  });
});
