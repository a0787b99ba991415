// Target matching during detection (buildpack.md "Detection" last paragraph, "Targets";
// platform.md "analyzed.toml"; docs/reference-behaviour.md §2 "Target filtering").
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type DetectWorkspace, detectWorkspace, envFromLogs, orderToml } from './helpers.ts';

function analyzed(target: string): string {
  return `[image]\nreference = ""\n\n[run-image]\nreference = "r@sha256:0"\nimage = "r"\n[run-image.target]\n${target}`;
}

describe('detector: targets', () => {
  let ws: DetectWorkspace;
  beforeEach(async () => {
    ws = await detectWorkspace();
  });
  afterEach(() => ws.cleanup());

  it('runs a buildpack whose target matches the run image', async () => {
    await ws.write(
      'layers/analyzed.toml',
      analyzed(
        'os = "linux"\narch = "amd64"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "22.04"\n',
      ),
    );
    await ws.write('layers/order.toml', orderToml([['linux_amd64@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.ok(result, lines.join('\n'));
    assert.ok(lines.includes('debug: linux_amd64 ran'));
  });

  it('fails a required buildpack with a mismatched target as an error (exit 21), without running it', async () => {
    await ws.write(
      'layers/analyzed.toml',
      analyzed(
        'os = "linux"\narch = "arm64"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "22.04"\n',
      ),
    );
    await ws.write('layers/order.toml', orderToml([['linux_amd64@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          'info: unable to satisfy target os/arch constraints; run image: {"os":"linux","arch":"arm64"',
        ),
      ),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => l.includes('linux_amd64 ran')));
  });

  it('fails on a distro mismatch, and accepts the draft key `distribution`', async () => {
    await ws.write(
      'layers/analyzed.toml',
      analyzed(
        'os = "linux"\narch = "amd64"\n[run-image.target.distribution]\nname = "ubuntu"\nversion = "20.04"\n',
      ),
    );
    await ws.write('layers/order.toml', orderToml([['linux_amd64@0.0.1']]));
    const { error } = await ws.run();
    assert.equal(error?.exitCode, 21);
  });

  it('treats empty fields of the run image as wildcards and infers the distro from os-release', async () => {
    await ws.write('layers/analyzed.toml', analyzed('os = "linux"\narch = ""\n'));
    await ws.write('os-release', 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n');
    await ws.write('layers/order.toml', orderToml([['linux_amd64@0.0.1', 'env_dump@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.ok(result, lines.join('\n'));
    const env = envFromLogs(lines);
    assert.equal(env.CNB_TARGET_OS, 'linux');
    assert.ok(env.CNB_TARGET_ARCH !== undefined && env.CNB_TARGET_ARCH !== '');
    assert.equal(env.CNB_TARGET_DISTRO_NAME, 'ubuntu');
    assert.equal(env.CNB_TARGET_DISTRO_VERSION, '22.04');
  });

  it('does not match a buildpack listing distros when no distro is known', async () => {
    await ws.write('layers/order.toml', orderToml([['linux_amd64@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(lines.some((l) => l.includes('No analyzed metadata found at path')));
  });

  it('still runs an optional buildpack whose target does not match (reference behaviour)', async () => {
    await ws.write('layers/analyzed.toml', analyzed('os = "linux"\narch = "amd64"\n'));
    await ws.write('layers/order.toml', orderToml([['windows_only@0.0.1?', 'always_pass@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.ok(result, lines.join('\n'));
    assert.ok(lines.includes('debug: windows_only ran'));
  });

  it('translates the deprecated bionic stack (linux/amd64/ubuntu 18.04)', async () => {
    await ws.write(
      'layers/analyzed.toml',
      analyzed(
        'os = "linux"\narch = "amd64"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "22.04"\n',
      ),
    );
    await ws.write('layers/order.toml', orderToml([['simple_buildpack@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(
      lines.some((l) => l.includes('"distros":[{"name":"ubuntu","version":"18.04"}]')),
      lines.join('\n'),
    );
  });

  it('skips the target check for a wildcard-target buildpack (no targets, no bin/build)', async () => {
    await ws.write('layers/analyzed.toml', analyzed('os = "windows"\narch = "arm"\n'));
    await ws.write('layers/order.toml', orderToml([['always_pass@0.0.1']]));
    const { result } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => g.id),
      ['always_pass'],
    );
  });
});
