import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageConfig } from '../image/index.ts';
import {
  allowedRunImages,
  rebasedLabelChanges,
  rebaseProblems,
  runImageAllowed,
  runImageCandidates,
  targetOf,
} from './rebase-rules.ts';

function config(over: {
  os?: string;
  arch?: string;
  variant?: string;
  labels?: Record<string, string>;
  api?: string;
}): ImageConfig {
  return {
    os: over.os ?? 'linux',
    architecture: over.arch ?? 'amd64',
    ...(over.variant ? { variant: over.variant } : {}),
    config: {
      Env: over.api === undefined ? ['PATH=/bin'] : ['PATH=/bin', `CNB_PLATFORM_API=${over.api}`],
      Labels: over.labels ?? {},
    },
    rootfs: { type: 'layers', diff_ids: [] },
  };
}

const distro = (name: string, version: string) => ({
  'io.buildpacks.base.distro.name': name,
  'io.buildpacks.base.distro.version': version,
});

/** One test per case: no problem expected (`undefined`), or one matching the pattern. */
function problemCases(cases: [string, ImageConfig, ImageConfig, RegExp | undefined][]): void {
  for (const [name, app, base, want] of cases) {
    it(name, () => {
      const p = rebaseProblems(app, base);
      if (want === undefined) assert.deepEqual(p, []);
      else
        assert.ok(
          p.some((x) => want.test(x)),
          p.join('; '),
        );
    });
  }
}

// platform.md `rebaser`; docs/reference-behaviour.md §8: checks that -force overrides.
describe('rebaseProblems (app Platform API ≥ 0.12: rebasable label and target data)', () => {
  const cases: [string, ImageConfig, ImageConfig, RegExp | undefined][] = [
    [
      'same target',
      config({ api: '0.12', labels: distro('ubuntu', '22.04') }),
      config({ labels: distro('ubuntu', '22.04') }),
      undefined,
    ],
    [
      'os differs',
      config({ api: '0.12' }),
      config({ os: 'windows' }),
      /unable to satisfy target os\/arch constraints/,
    ],
    ['arch differs', config({ api: '0.12' }), config({ arch: 'arm64' }), /target os\/arch/],
    [
      'variant differs when both set',
      config({ api: '0.12', variant: 'v7' }),
      config({ variant: 'v8' }),
      /target os\/arch/,
    ],
    ['variant set on one side only', config({ api: '0.12', variant: 'v7' }), config({}), undefined],
    [
      'distro differs',
      config({ api: '0.12', labels: distro('ubuntu', '22.04') }),
      config({ labels: distro('ubuntu', '24.04') }),
      /target os\/arch/,
    ],
    [
      'new base has no distro',
      config({ api: '0.12', labels: distro('ubuntu', '22.04') }),
      config({}),
      undefined,
    ],
    [
      'draft distro label names are read',
      config({ api: '0.12', labels: { 'io.buildpacks.distribution.name': 'alpine' } }),
      config({ labels: { 'io.buildpacks.base.distro.name': 'ubuntu' } }),
      /target os\/arch/,
    ],
    [
      'rebasable=false',
      config({ api: '0.12', labels: { 'io.buildpacks.rebasable': 'false' } }),
      config({}),
      /not marked as rebasable/,
    ],
    [
      'rebasable=true',
      config({ api: '0.12', labels: { 'io.buildpacks.rebasable': 'true' } }),
      config({}),
      undefined,
    ],
    [
      'stack labels ignored at 0.12',
      config({ api: '0.12', labels: { 'io.buildpacks.stack.id': 'a' } }),
      config({ labels: { 'io.buildpacks.stack.id': 'b' } }),
      undefined,
    ],
  ];
  problemCases(cases);
});

describe('rebaseProblems (older app images: stack id and mixins)', () => {
  const stack = (id: string, mixins?: string[]) => ({
    'io.buildpacks.stack.id': id,
    ...(mixins ? { 'io.buildpacks.stack.mixins': JSON.stringify(mixins) } : {}),
  });
  const cases: [string, ImageConfig, ImageConfig, RegExp | undefined][] = [
    ['same stack', config({ labels: stack('s') }), config({ labels: stack('s') }), undefined],
    ['no stack on app', config({}), config({ labels: stack('s') }), /stack not defined on app image/],
    [
      'no stack on base',
      config({ api: '0.11', labels: stack('s') }),
      config({}),
      /stack not defined on new base image/,
    ],
    [
      'different stacks',
      config({ labels: stack('a') }),
      config({ labels: stack('b') }),
      /incompatible stack: 'b' is not compatible with 'a'/,
    ],
    [
      'missing mixins, sorted, stage prefix stripped',
      config({ labels: stack('s', ['run:zlib', 'curl', 'build:git']) }),
      config({ labels: stack('s', ['git']) }),
      /missing required mixin\(s\): curl, zlib/,
    ],
    [
      'rebasable label ignored',
      config({ labels: { ...stack('s'), 'io.buildpacks.rebasable': 'false' } }),
      config({ labels: stack('s') }),
      undefined,
    ],
  ];
  problemCases(cases);
});

describe('run image metadata (platform.md "Run Image Resolution")', () => {
  const m = {
    runImage: {
      topLayer: 't',
      reference: 'r',
      image: 'reg.io/run:v1',
      mirrors: ['other.io/run:v1', 'local:5000/run:v1'],
    },
  };
  it('lists image then mirrors, falling back to the deprecated stack key', () => {
    assert.deepEqual(allowedRunImages(m), ['reg.io/run:v1', 'other.io/run:v1', 'local:5000/run:v1']);
    assert.deepEqual(allowedRunImages({ stack: { runImage: { image: 'x/run' } } }), ['x/run']);
    assert.deepEqual(allowedRunImages({}), []);
  });
  it("prefers run images on the app image's registry", () => {
    assert.deepEqual(runImageCandidates(m, 'local:5000/app'), [
      'local:5000/run:v1',
      'reg.io/run:v1',
      'other.io/run:v1',
    ]);
  });
  it('matches normalised names; a different tag does not match', () => {
    const d = { runImage: { topLayer: 't', reference: 'r', image: 'busybox' } };
    assert.equal(runImageAllowed('docker.io/library/busybox:latest', d), true);
    assert.equal(runImageAllowed('index.docker.io/library/busybox', d), true);
    assert.equal(runImageAllowed('busybox:1.36', d), false);
    assert.equal(runImageAllowed('other.io/run:v1', m), true);
  });
});

describe('rebasedLabelChanges (platform.md `rebaser`)', () => {
  it('replaces io.buildpacks.base.* and io.buildpacks.stack.* with the new run image values', () => {
    const app = config({
      labels: { ...distro('ubuntu', '22.04'), 'io.buildpacks.stack.id': 's', 'org.app': 'keep' },
    });
    const base = config({
      labels: { ...distro('ubuntu', '24.04'), 'io.buildpacks.base.id': 'new', other: 'x' },
    });
    const c = rebasedLabelChanges(app, base);
    assert.deepEqual(c.remove.sort(), [
      'io.buildpacks.base.distro.name',
      'io.buildpacks.base.distro.version',
      'io.buildpacks.stack.id',
    ]);
    assert.deepEqual(c.set, { ...distro('ubuntu', '24.04'), 'io.buildpacks.base.id': 'new' });
  });
  it('reads target data from config and labels', () => {
    assert.deepEqual(targetOf(config({ variant: 'v8', arch: 'arm64', labels: distro('a', '1') })), {
      os: 'linux',
      arch: 'arm64',
      variant: 'v8',
      distroName: 'a',
      distroVersion: '1',
    });
  });
});
