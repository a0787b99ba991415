// buildpack.toml (buildpack.md "buildpack.toml (TOML)", "Targets", "Order", "Deprecations" `stacks`;
// BUILDPACK-API-VERSIONS.md B: `variant` vs `arch-variant`, exec-env shapes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { parseBuildpackDescriptor } from './buildpack-toml.ts';
import { parseToml } from './toml.ts';

const FILE = '/cnb/buildpacks/a/1.0.0/buildpack.toml';
const parse = (text: string) => parseBuildpackDescriptor(parseToml(text, FILE), FILE);
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('buildpack.toml', () => {
  it('parses [buildpack], targets (variant or arch-variant), stacks and metadata', () => {
    const d = parse(`
api = "0.10"
[buildpack]
id = "a"
version = "1.0.0"
name = "A"
homepage = "https://a"
clear-env = true
keywords = ["k"]
sbom-formats = ["application/vnd.cyclonedx+json"]
[[buildpack.licenses]]
type = "MIT"

[[targets]]
os = "linux"
arch = "arm"
variant = "v7"
[[targets.distros]]
name = "ubuntu"
version = "22.04"

[[targets]]
os = "linux"
arch = "arm64"
arch-variant = "v8"

[[stacks]]
id = "io.buildpacks.stacks.bionic"
mixins = ["build:git"]

[metadata]
x = 1
`);
    assert.equal(d.api, '0.10');
    assert.equal(d.dir, '/cnb/buildpacks/a/1.0.0');
    assert.deepEqual(plain(d.buildpack), {
      id: 'a',
      version: '1.0.0',
      name: 'A',
      homepage: 'https://a',
      clearEnv: true,
      keywords: ['k'],
      sbomFormats: ['application/vnd.cyclonedx+json'],
      licenses: [{ type: 'MIT' }],
    });
    assert.deepEqual(d.targets, [
      { os: 'linux', arch: 'arm', archVariant: 'v7', distros: [{ name: 'ubuntu', version: '22.04' }] },
      { os: 'linux', arch: 'arm64', archVariant: 'v8', distros: [] },
    ]);
    assert.deepEqual(d.stacks, [{ id: 'io.buildpacks.stacks.bionic', mixins: ['build:git'] }]);
    assert.deepEqual(plain(d.metadata), { x: 1 });
    assert.deepEqual(d.order, []);
  });

  it('clear-env defaults to false; a composite has an order', () => {
    const d = parse(
      'api = "0.7"\n[buildpack]\nid = "m"\nversion = "1"\n[[order]]\n[[order.group]]\nid = "x"\nversion = "2"\noptional = true\n',
    );
    assert.equal(d.buildpack.clearEnv, false);
    assert.deepEqual(d.order, [{ group: [{ id: 'x', version: '2', optional: true }] }]);
  });

  it('accepts exec-env as the spec array of tables or the reference string array', () => {
    const spec = parse(
      'api = "0.12"\n[buildpack]\nid = "a"\nversion = "1"\n[[buildpack.exec-env]]\nname = "test"\n',
    );
    assert.deepEqual(spec.buildpack.execEnv, ['test']);
    const lc = parse(
      'api = "0.12"\n[buildpack]\nid = "a"\nversion = "1"\nexec-env = ["production", "test"]\n',
    );
    assert.deepEqual(lc.buildpack.execEnv, ['production', 'test']);
  });

  it('keeps a missing or numeric api as text for the API check', () => {
    assert.equal(parse('[buildpack]\nid = "a"\nversion = "1"\n').api, '');
    assert.equal(parse('api = 0.8\n[buildpack]\nid = "a"\nversion = "1"\n').api, '0.8');
  });

  const bad: [string, string, RegExp][] = [
    [
      'no [buildpack] table',
      'api = "0.10"\n',
      /buildpack\.toml: buildpack: the \[buildpack\] table is required/,
    ],
    ['no id', 'api = "0.10"\n[buildpack]\nversion = "1"\n', /buildpack\.id: is required/],
    ['no version', 'api = "0.10"\n[buildpack]\nid = "a"\n', /buildpack\.version: is required/],
    [
      'clear-env not boolean',
      '[buildpack]\nid = "a"\nversion = "1"\nclear-env = "yes"\n',
      /buildpack\.clear-env: expected true or false/,
    ],
    [
      'targets.os not a string',
      '[buildpack]\nid = "a"\nversion = "1"\n[[targets]]\nos = 1\n',
      /targets\[0\]\.os: expected a string/,
    ],
    ['api a table', 'api = {}\n[buildpack]\nid = "a"\nversion = "1"\n', /api: expected a string/],
    [
      'order group without version',
      '[buildpack]\nid = "a"\nversion = "1"\n[[order]]\n[[order.group]]\nid = "x"\n',
      /order\[0\]\.group\[0\]\.version: is required/,
    ],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => parse(text),
        (e) => isLifecycleError(e) && re.test(e.message),
      ));
  }
});
