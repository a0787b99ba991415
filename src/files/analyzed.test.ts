// analyzed.toml (platform.md "analyzed.toml"; S-11: read `distro` and the draft
// `distribution`; docs/reference-behaviour.md §0.10: written keys).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAnalyzed, readAnalyzed, writeAnalyzed } from './analyzed.ts';
import { parseToml } from './toml.ts';

const parse = (text: string) => parseAnalyzed(parseToml(text, 'analyzed.toml'), 'analyzed.toml');
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('analyzed.toml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analyzed-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads [image], [run-image] with target and [metadata] passthrough', () => {
    const a = parse(`
[image]
reference = "prev@sha256:1"
[metadata]
[metadata.config]
sha = "sha256:c"
[run-image]
reference = "run@sha256:2"
image = "run:latest"
extend = true
[run-image.target]
id = "base"
os = "linux"
arch = "arm64"
arch-variant = "v8"
[run-image.target.distro]
name = "ubuntu"
version = "24.04"
[build-image]
reference = "build@sha256:3"
`);
    assert.deepEqual(plain(a), {
      previousImage: { reference: 'prev@sha256:1' },
      buildImage: { reference: 'build@sha256:3' },
      runImage: {
        reference: 'run@sha256:2',
        image: 'run:latest',
        extend: true,
        target: {
          id: 'base',
          os: 'linux',
          arch: 'arm64',
          archVariant: 'v8',
          distro: { name: 'ubuntu', version: '24.04' },
        },
      },
      metadata: { config: { sha: 'sha256:c' } },
    });
  });

  it('accepts `variant`, the draft `distribution` and `[previous-image]`', () => {
    const a = parse(
      '[previous-image]\nreference = "p"\n[run-image]\nreference = "r"\n[run-image.target]\nos = "linux"\narch = "arm"\nvariant = "v7"\n[run-image.target.distribution]\nname = "debian"\nversion = "12"\n',
    );
    assert.deepEqual(a.previousImage, { reference: 'p' });
    assert.deepEqual(a.runImage?.target, {
      os: 'linux',
      arch: 'arm',
      archVariant: 'v7',
      distro: { name: 'debian', version: '12' },
    });
  });

  it('missing file is undefined; written form uses arch-variant and [run-image.target.distro]', async () => {
    assert.equal(await readAnalyzed(join(dir, 'none.toml')), undefined);
    const file = join(dir, 'analyzed.toml');
    const a = {
      previousImage: { reference: '' },
      runImage: {
        reference: 'r@sha256:1',
        image: 'r',
        target: { os: 'linux', arch: 'arm', archVariant: 'v7', distro: { name: 'ubuntu', version: '22.04' } },
      },
    };
    await writeAnalyzed(file, a);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\[image\]\nreference = ""\n/);
    assert.match(text, /arch-variant = "v7"/);
    assert.match(text, /\[run-image\.target\.distro\]\nname = "ubuntu"\nversion = "22\.04"/);
    assert.doesNotMatch(text, /extend/);
    assert.deepEqual(plain(await readAnalyzed(file)), a);
  });

  it('invalid content names the file', async () => {
    await writeFile(join(dir, 'bad.toml'), '[run-image]\nreference = 1\n');
    await assert.rejects(
      () => readAnalyzed(join(dir, 'bad.toml')),
      /bad\.toml: run-image\.reference: expected a string/,
    );
  });
});
