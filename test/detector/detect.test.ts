// Black-box tests of the detector (platform.md "detector"; buildpack.md "Phase #1: Detection")
// with real shell-script buildpacks from testdata/detector/buildpacks.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DetectWorkspace, detectWorkspace, orderToml, USER } from './helpers.ts';

describe('detector: selecting a group', () => {
  let ws: DetectWorkspace;
  before(async () => {
    ws = await detectWorkspace();
  });
  after(() => ws.cleanup());

  it('writes group.toml and plan.toml for a passing API 0.7 buildpack (S-2: positional args)', async () => {
    await ws.write('layers/order.toml', orderToml([['simple_buildpack@0.0.1']]));
    // The bionic stack translates to linux/amd64/ubuntu 18.04 (buildpack.md "Deprecations").
    await ws.write(
      'layers/analyzed.toml',
      '[run-image]\nreference = "r"\n[run-image.target]\nos = "linux"\narch = "amd64"\n[run-image.target.distro]\nname = "ubuntu"\nversion = "18.04"\n',
    );
    const { result, error, lines } = await ws.run();
    assert.equal(error, undefined, lines.join('\n'));
    assert.deepEqual(result?.group.group, [
      { id: 'simple_buildpack', version: '0.0.1', api: '0.7', homepage: 'https://example.com/simple' },
    ]);
    assert.equal(
      await ws.read('layers/group.toml'),
      '[[group]]\nid = "simple_buildpack"\nversion = "0.0.1"\napi = "0.7"\nhomepage = "https://example.com/simple"\n',
    );
    const plan = await ws.read('layers/plan.toml');
    assert.match(plan, /\[\[entries\]\]/);
    assert.match(plan, /\[\[entries\.providers\]\]\nid = "simple_buildpack"\nversion = "0\.0\.1"/);
    assert.match(plan, /\[\[entries\.requires\]\]\nname = "some_requirement"/);
    assert.match(plan, /version = "1\.2\.3"/);
    const out = lines.find((l) => l.includes('simple args:')) ?? '';
    assert.match(out, new RegExp(`simple args: 2 platform=${ws.platform}`));
    assert.match(out, new RegExp(`simple cwd: ${ws.app}`));
    // API 0.7: no CNB_PLATFORM_DIR / CNB_BUILD_PLAN_PATH / CNB_TARGET_* (BUILDPACK-API-VERSIONS.md D).
    assert.match(out, /CNB_PLATFORM_DIR=unset CNB_BUILD_PLAN_PATH=unset CNB_TARGET_OS=unset/);
    assert.match(out, /CNB_BUILDPACK_DIR=.*simple_buildpack\/0\.0\.1/);
    assert.ok(lines.includes('info: simple_buildpack 0.0.1'), lines.join('\n'));
  });

  it('selects the first group that passes and skips failing ones (buildpack.md "Detection")', async () => {
    await ws.write(
      'layers/order.toml',
      orderToml([['fail_detect@0.0.1'], ['always_pass@0.0.1', 'fail_detect@0.0.1?']]),
    );
    const { result, lines } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => g.id),
      ['always_pass'],
    );
    assert.ok(lines.includes('info: 1 of 2 buildpacks participating'), lines.join('\n'));
    assert.ok(lines.includes('debug: skip: fail_detect@0.0.1'));
    // A passing detect's output is debug-level.
    assert.ok(lines.includes('debug: always_pass ran'));
    // An empty plan is a 0-byte plan.toml (docs/reference-behaviour.md §0.10).
    assert.equal(await ws.read('layers/plan.toml'), '');
  });

  it('expands a meta-buildpack order and resolves provides/requires across members', async () => {
    await ws.write('layers/order.toml', orderToml([['meta@1.0.0']]));
    const { result, lines } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => `${g.id}@${g.version}`),
      ['provider@0.0.1', 'requirer@0.0.1'],
      lines.join('\n'),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(result?.plan.entries)), [
      {
        providers: [{ id: 'provider', version: '0.0.1' }],
        requires: [{ name: 'dep', metadata: { from: 'requirer' } }],
      },
    ]);
    // The first sub-group failed: provider's `dep` went unused with fail_detect failing.
    assert.ok(lines.some((l) => l === 'debug: fail: fail_detect@0.0.1'));
  });

  it('tries [[or]] alternatives (buildpack.md "Detection": trials left to right)', async () => {
    await ws.write('layers/order.toml', orderToml([['or_buildpack@0.0.1', 'requirer@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => g.id),
      ['or_buildpack', 'requirer'],
    );
    // Unmet requires are checked first: with or_buildpack's main option, `dep` has no provider.
    assert.ok(lines.includes('debug: fail: requirer@0.0.1 requires dep'), lines.join('\n'));
    assert.ok(lines.includes('debug: Resolving plan... (try #2)'));
    assert.deepEqual(result?.plan.entries[0]?.providers, [{ id: 'or_buildpack', version: '0.0.1' }]);
  });

  it('drops an optional buildpack whose require is unmet', async () => {
    await ws.write('layers/order.toml', orderToml([['requirer@0.0.1?', 'always_pass@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => g.id),
      ['always_pass'],
    );
    assert.ok(lines.includes('debug: skip: requirer@0.0.1 requires dep'));
  });

  it('looks buildpacks up with "/" escaped as "_" (S-1)', async () => {
    await ws.write('layers/order.toml', orderToml([['ns/slashed@1.0.0']]));
    const { result } = await ws.run();
    assert.deepEqual(result?.group.group, [
      { id: 'ns/slashed', version: '1.0.0', api: '0.10', homepage: 'https://example.com/ns' },
    ]);
  });

  it('writes group.toml atomically (mode 0644, owned by the build user) and leaves no temp files', async () => {
    await ws.write('layers/order.toml', orderToml([['always_pass@0.0.1']]));
    await ws.run();
    const st = await stat(join(ws.layers, 'group.toml'));
    assert.equal(st.mode & 0o777, 0o644);
    // S-7: as root, outputs belong to the build user.
    for (const f of ['group.toml', 'plan.toml']) {
      const s = await stat(join(ws.layers, f));
      assert.deepEqual([s.uid, s.gid], [USER.uid, USER.gid], f);
    }
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(
      (await readdir(ws.layers)).filter((n) => n.endsWith('.tmp')),
      [],
    );
    assert.deepEqual(
      (await readdir(ws.root)).filter((n) => n.startsWith('plan.')),
      [],
    );
  });
});

describe('detector: failing detection (platform.md "detector" exit codes)', () => {
  let ws: DetectWorkspace;
  before(async () => {
    ws = await detectWorkspace();
  });
  after(() => ws.cleanup());

  it('exits 20 when every group fails without error, showing the buffered output', async () => {
    await ws.write('layers/order.toml', orderToml([['fail_detect@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 20);
    // When detection fails, buffered lines are shown at info level whatever their level.
    for (const want of [
      'info: ======== Output: fail_detect@0.0.1 ========',
      'info: Opted out of detection',
      'info: ======== Results ========',
      'info: fail: fail_detect@0.0.1',
      'error: No buildpack groups passed detection.',
      'error: Please check that you are running against the correct path.',
    ]) {
      assert.ok(lines.includes(want), `missing ${want}:\n${lines.join('\n')}`);
    }
  });

  it('exits 21 when a buildpack errored, with its output and status', async () => {
    await ws.write('layers/order.toml', orderToml([['error_detect@0.0.1'], ['fail_detect@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(lines.includes('info: something went wrong'), lines.join('\n'));
    assert.ok(lines.includes('info: err:  error_detect@0.0.1 (7)'));
    assert.ok(!lines.some((l) => l.includes('correct path')));
  });

  it('exits 21 for an unparsable plan and names the problem', async () => {
    await ws.write('layers/order.toml', orderToml([['bad_plan@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(lines.includes('info: writing a broken plan'));
    assert.ok(
      lines.some((l) => /bad_plan@0\.0\.1: invalid build plan: .*plan\.toml:1:\d+/.test(l)),
      lines.join('\n'),
    );
    assert.ok(lines.includes('info: err:  bad_plan@0.0.1'));
  });

  it('exits 21 for a requires with a top-level version key', async () => {
    await ws.write('layers/order.toml', orderToml([['provider@0.0.1', 'version_key@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 21);
    assert.ok(
      lines.some((l) =>
        l.includes('has a "version" key which is not supported. "metadata.version" should be used instead'),
      ),
    );
  });

  it('exits 20 when a required dependency is missing', async () => {
    await ws.write('layers/order.toml', orderToml([['requirer@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 20);
    assert.ok(lines.includes('info: fail: requirer@0.0.1 requires dep'));
  });

  it('exits 12 for an unsupported buildpack API, before running anything', async () => {
    await ws.write('layers/order.toml', orderToml([['always_pass@0.0.1'], ['bad_api@0.0.1']]));
    const { error, lines } = await ws.run();
    assert.equal(error?.exitCode, 12);
    assert.match(error?.message ?? '', /bad_api@0\.0\.1.*'0\.1'/);
    assert.ok(!lines.some((l) => l.includes('always_pass ran')));
  });
});
