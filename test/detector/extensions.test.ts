// Image extensions in the detector (experimental at Platform API 0.12): detection, generation, run
// image selection (platform.md "detector"; image-extension.md; docs/reference-behaviour.md §2).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DetectOptions } from '../../src/phase/detect.ts';
import { type DetectWorkspace, detectWorkspace, orderToml } from './helpers.ts';

const EXTENSIONS = join(import.meta.dirname, '..', '..', 'testdata', 'detector', 'extensions');

function withExtensions(bps: string[][], exts: string[][]): string {
  const ext = exts
    .map(
      (g) =>
        `[[order-extensions]]\n${g
          .map((r) => {
            const [id, version] = r.split('@');
            return `[[order-extensions.group]]\nid = "${id}"\nversion = "${version}"\n`;
          })
          .join('')}`,
    )
    .join('\n');
  return `${orderToml(bps)}\n${ext}`;
}

describe('detector: image extensions', () => {
  let ws: DetectWorkspace;
  let opts: (mode?: string) => Partial<DetectOptions>;
  beforeEach(async () => {
    ws = await detectWorkspace();
    await ws.write(
      'layers/analyzed.toml',
      '[run-image]\nreference = "orig@sha256:1"\nimage = "orig"\n[run-image.target]\nos = "linux"\narch = "amd64"\n',
    );
    await ws.write('build-config/env/FOO', 'val-from-build-config');
    const env = ws.options().env;
    opts = (mode = 'warn') => ({
      extensions: EXTENSIONS,
      run: join(ws.root, 'run.toml'),
      env,
      experimentalMode: mode,
    });
  });
  afterEach(() => ws.cleanup());

  it('are refused unless CNB_EXPERIMENTAL_MODE allows them (S-10)', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['simple_extension@0.0.1']]),
    );
    const { error } = await ws.run(opts('error'));
    assert.ok(error);
    assert.notEqual(error.exitCode, 0);
    assert.match(error.message, /experimental/i);
  });

  it('are not experimental from Platform API 0.13 (platform-0.13.md "Experimental Features")', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['simple_extension@0.0.1']]),
    );
    const { result, lines } = await ws.run({ ...opts('error'), platformApi: { major: 0, minor: 13 } });
    assert.ok(result, lines.join('\n'));
    assert.ok(!lines.some((l) => /experimental/i.test(l)));
  });

  it('detect, generate a run.Dockerfile, switch the run image and filter the plan', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['simple_extension@0.0.1']]),
    );
    const { result, lines } = await ws.run(opts());
    assert.ok(result, lines.join('\n'));
    assert.ok(lines.some((l) => /^warn: .*experimental feature.*Dockerfiles/i.test(l)));
    assert.equal(
      await ws.read('layers/group.toml'),
      '[[group]]\nid = "buildpack_for_ext"\nversion = "0.0.1"\napi = "0.10"\n\n[[group-extensions]]\nid = "simple_extension"\nversion = "0.0.1"\napi = "0.10"\n',
    );
    // Requires met by an extension are removed from plan.toml.
    assert.equal(await ws.read('layers/plan.toml'), '');
    assert.equal(
      await ws.read('layers/generated/run/simple_extension/Dockerfile'),
      'FROM some-run-image-from-extension\n',
    );
    const analyzed = await ws.read('layers/analyzed.toml');
    assert.match(
      analyzed,
      /\[run-image\]\nreference = "some-run-image-from-extension"\nimage = "some-run-image-from-extension"\n/,
    );
    assert.doesNotMatch(analyzed, /target/);
    assert.ok(
      lines.includes(
        "warn: new runtime base image 'some-run-image-from-extension' not found in run metadata",
      ),
    );
    // bin/generate output is streamed; it got <output> <platform> <plan> and its plan entries.
    const out = lines.filter((l) => l.startsWith('out: ')).join('');
    assert.match(out, /simple_extension: output from \/bin\/generate/);
    assert.match(out, /args: 3/);
    assert.match(out, /plan: \[\[entries\]\] name = "some_requirement"/);
    assert.match(out, /CNB_EXTENSION_DIR=.*simple_extension\/0\.0\.1/);
    // Extensions get CNB_EXTENSION_DIR instead of CNB_BUILDPACK_DIR; build-config env reaches buildpacks.
    assert.ok(
      lines.some((l) => /CNB_EXTENSION_DIR=\S+simple_extension\/0\.0\.1 CNB_BUILDPACK_DIR=unset/.test(l)),
    );
    assert.ok(lines.includes('debug: FOO=val-from-build-config'));
  });

  it('does not warn when run.toml lists the new run image (as a mirror)', async () => {
    await ws.write('run.toml', '[[images]]\nimage = "other"\nmirrors = ["some-run-image-from-extension"]\n');
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['simple_extension@0.0.1']]),
    );
    const { result, lines } = await ws.run(opts('silent'));
    assert.ok(result, lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('warn:')), lines.join('\n'));
  });

  it('uses pre-populated detect/ and generate/ dirs; copies build.Dockerfile and extend-config.toml', async () => {
    await ws.write('layers/order.toml', withExtensions([['tool_user@0.0.1']], [['prepop/extension@1.0.0']]));
    const { result, lines } = await ws.run(opts());
    assert.ok(result, lines.join('\n'));
    assert.deepEqual(
      result.group.groupExtensions.map((e) => e.id),
      ['prepop/extension'],
    );
    const dir = join(ws.layers, 'generated');
    assert.match(
      await readFile(join(dir, 'build', 'prepop_extension', 'Dockerfile'), 'utf8'),
      /^ARG base_image\nFROM \$\{base_image\}/,
    );
    assert.match(
      await readFile(join(dir, 'build', 'prepop_extension', 'extend-config.toml'), 'utf8'),
      /tool_version/,
    );
    assert.match(await readFile(join(dir, 'run', 'prepop_extension', 'Dockerfile'), 'utf8'), /extend-run/);
    // The run.Dockerfile extends the original run image.
    const analyzed = await ws.read('layers/analyzed.toml');
    assert.match(analyzed, /reference = "orig@sha256:1"\nimage = "orig"\nextend = true/);
    assert.match(analyzed, /\[run-image\.target\]/);
  });

  it('drops an extension whose provides nobody requires; the first group without it passes', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['always_pass@0.0.1']], [['simple_extension@0.0.1']]),
    );
    const { result, lines } = await ws.run(opts());
    assert.ok(result, lines.join('\n'));
    assert.deepEqual(result.group.groupExtensions, []);
    assert.ok(lines.includes('debug: skip: simple_extension@0.0.1 provides unused some_requirement'));
  });

  it('an extension that outputs requires is an error run and is left out', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['always_pass@0.0.1']], [['requires_extension@0.0.1']]),
    );
    const { result, lines } = await ws.run(opts());
    assert.ok(result, lines.join('\n'));
    assert.ok(
      lines.some((l) =>
        l.includes('extension requires_extension@0.0.1 outputs "requires" which is not allowed'),
      ),
    );
  });

  it('a failing bin/generate is exit 91', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['fail_generate@0.0.1']]),
    );
    const { error, lines } = await ws.run(opts());
    assert.equal(error?.exitCode, 91, lines.join('\n'));
    assert.match(error?.message ?? '', /fail_generate@0\.0\.1: bin\/generate exited with status 3/);
    assert.ok(lines.includes('err: generate is failing\n'));
  });

  it('an invalid build.Dockerfile is exit 92', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['bad_dockerfile@0.0.1']]),
    );
    const { error } = await ws.run(opts());
    assert.equal(error?.exitCode, 92);
    assert.match(error?.message ?? '', /build\.Dockerfile: must begin with "ARG base_image"/);
  });

  it('an invalid extend-config.toml is exit 92 naming the file and line', async () => {
    await ws.write(
      'layers/order.toml',
      withExtensions([['buildpack_for_ext@0.0.1']], [['bad_config@0.0.1']]),
    );
    const { error } = await ws.run(opts());
    assert.equal(error?.exitCode, 92);
    assert.match(
      error?.message ?? '',
      /^failed to generate: .*bad_config\/0\.0\.1\/generate\/extend-config\.toml:1:\d+/,
    );
  });

  it('an unknown extension is exit 1 before anything runs', async () => {
    await ws.write('layers/order.toml', withExtensions([['always_pass@0.0.1']], [['nope@1']]));
    const { error } = await ws.run(opts());
    assert.equal(error?.exitCode, 1);
    assert.match(error?.message ?? '', /extension 'nope@1' not found/);
  });
});
