import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { orderToml, STACK_TRACE, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/detector`: failures and their exit codes (docs/reference-behaviour.md §0.2,
 * §0.3, §0.4, §0.6, §2 "Command level"; platform.md "detector" Outputs; S-8, S-9).
 */
describe('detector: failures and exit codes (black box)', () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(() => ws.cleanup());

  /** Runs the detector on its own order file in the workspace. */
  const detectWith = async (name: string, order: string, env: Record<string, string | undefined> = {}) => {
    await ws.write(name, order);
    return ws.detector(['-order', join(ws.root, name)], env);
  };

  it('exit 20 when every group fails detection, with the buffered output and both ERROR lines (§2)', async () => {
    await ws.write('workspace/exit/second.detect', '100');
    const run = await detectWith('fail.toml', orderToml([['phases/second@0.0.2']]));
    assert.equal(run.code, 20, show(run));
    // On failure every buffered entry is flushed at info, whatever its level.
    assert.match(
      run.stdout,
      /======== Output: phases\/second@0\.0\.2 ========\n(.*\n)*Opted out of detection/,
    );
    assert.match(run.stdout, /======== Results ========\n(.*\n)*fail: phases\/second@0\.0\.2/);
    // S-8: errors go to stderr.
    assert.match(run.stderr, /ERROR: No buildpack groups passed detection\./);
    assert.match(run.stderr, /ERROR: Please check that you are running against the correct path\./);
    assert.doesNotMatch(run.stderr, STACK_TRACE);
    assert.equal(await ws.exists('layers/group.toml'), false, 'nothing is written');
    assert.equal(await ws.exists('layers/plan.toml'), false, 'nothing is written');
  });

  it('exit 21 when no group passes and a buildpack errored; "err:  <id@version> (<code>)" (§2)', async () => {
    await ws.write('workspace/exit/third.detect', '3');
    const run = await detectWith('error.toml', orderToml([['phases/third@0.0.3'], ['phases/second@0.0.2']]));
    assert.equal(run.code, 21, show(run));
    assert.match(
      run.stdout,
      /======== Output: phases\/third@0\.0\.3 ========\n(.*\n)*detect output from third/,
    );
    assert.match(run.stdout, /err: {2}phases\/third@0\.0\.3 \(3\)/);
    assert.match(run.stderr, /ERROR: No buildpack groups passed detection\./);
    assert.doesNotMatch(run.stderr, /correct path/);
  });

  it('exit 21 for an unparsable plan: the buildpack output is kept and printed with the TOML error (§2)', async () => {
    await ws.write('workspace/plan/api10.toml', '[[provides]\n');
    const run = await detectWith('bad-plan.toml', orderToml([['phases/api10@0.0.10']]));
    assert.equal(run.code, 21, show(run));
    assert.match(run.stdout, /detect output from api10/);
    assert.match(run.stdout, /plan\.toml:1:\d+/);
    assert.match(run.stdout, /err: {2}phases\/api10@0\.0\.10/);
  });

  it('exit 20 for an empty group: "fail: no viable buildpacks in group" (§2 Resolve)', async () => {
    const run = await detectWith('empty-group.toml', '[[order]]\n  group = []\n');
    assert.equal(run.code, 20, show(run));
    assert.match(run.stdout, /fail: no viable buildpacks in group/);
  });

  it('exit 22 when a component nested in a meta-buildpack cannot be found (§2 "Buildpack lookup")', async () => {
    const run = await detectWith('ghost.toml', orderToml([['phases/meta-ghost@1.0.0']]));
    assert.equal(run.code, 22, show(run));
    assert.match(run.stderr, /phases_ghost\/1\.0\.0\/buildpack\.toml/);
    assert.doesNotMatch(run.stderr, STACK_TRACE);
  });

  it('exit 21 when the run image target does not match the buildpack (§2 target filtering)', async () => {
    // A buildpack with bin/build and no [[targets]] is inferred as {os = "linux"}.
    await ws.write(
      'windows-analyzed.toml',
      '[run-image]\n  [run-image.target]\n    os = "windows"\n    arch = "amd64"\n',
    );
    await ws.write('target.toml', orderToml([['phases/api07@0.0.7']]));
    const run = await ws.detector([
      '-order',
      join(ws.root, 'target.toml'),
      '-analyzed',
      join(ws.root, 'windows-analyzed.toml'),
    ]);
    assert.equal(run.code, 21, show(run));
    assert.match(run.stdout, /unable to satisfy target os\/arch constraints/);
  });

  it('exit 12 for an order buildpack with an unsupported buildpack API "0.1" (§0.3)', async () => {
    const run = await detectWith('bad-api.toml', orderToml([['phases/bad-api@0.0.1']]));
    assert.equal(run.code, 12, show(run));
    assert.match(run.stderr, /phases\/bad-api@0\.0\.1/);
    assert.match(run.stderr, /buildpack API version '0\.1' is incompatible with the lifecycle/);
    assert.equal(await ws.exists('workspace/out/badapi.detect.args'), false, 'nothing ran');
  });

  describe('CNB_PLATFORM_API (§0.2; S-9)', () => {
    it('unset → exit 11, asking to set it', async () => {
      const run = await ws.detector([], { CNB_PLATFORM_API: undefined });
      assert.equal(run.code, 11, show(run));
      assert.match(run.stderr, /please set 'CNB_PLATFORM_API'/);
    });

    it('whitespace only → exit 11', async () => {
      const run = await ws.detector([], { CNB_PLATFORM_API: ' ' });
      assert.equal(run.code, 11, show(run));
    });

    for (const v of ['0.6', '1.0', '0.12.1', 'latest']) {
      it(`"${v}" → exit 11, checked before flags are parsed`, async () => {
        const run = await ws.detector(['-no-such-flag'], { CNB_PLATFORM_API: v });
        assert.equal(run.code, 11, show(run));
        assert.match(run.stderr, new RegExp(`'${v.replace(/\./g, '\\.')}'`));
      });
    }

    it('"v0.12" is accepted (grammar ^v?(\\d+)\\.?(\\d*)$)', async () => {
      const run = await detectWith('v012.toml', orderToml([['phases/api07@0.0.7']]), {
        CNB_PLATFORM_API: 'v0.12',
      });
      assert.equal(run.code, 0, show(run));
    });
  });

  describe('command line (§0.6, §2 "Command level")', () => {
    for (const flag of ['-unknown-flag', '-daemon', '-uid=1000', '-system']) {
      it(`${flag} is not a detector flag at Platform API 0.12 → exit 2`, async () => {
        const run = await ws.detector([flag]);
        assert.equal(run.code, 2, show(run));
        assert.match(run.stderr, /flag provided but not defined/);
      });
    }

    it('accepts every detector flag of Platform API 0.12 (§0.6)', async () => {
      const order = join(ws.root, 'flags-order.toml');
      await ws.write('flags-order.toml', orderToml([['phases/api07@0.0.7']]));
      const run = await ws.detector([
        ...['-analyzed', join(ws.root, 'flags-analyzed.toml'), '-build-config', ws.buildConfig],
        ...['-extensions', join(ws.root, 'ext'), '-generated', join(ws.root, 'gen')],
        ...['-group', join(ws.root, 'flags-group.toml'), '-plan', join(ws.root, 'flags-plan.toml')],
        ...['-order', order, '-run', join(ws.root, 'run.toml'), '-log-level', 'warn', '-no-color'],
      ]);
      assert.equal(run.code, 0, show(run));
      assert.equal(await ws.exists('flags-group.toml'), true);
      assert.equal(run.stdout, '', '-log-level warn hides the info lines');
    });

    it('an invalid -log-level → exit 1, "failed to parse log level" (§0.5)', async () => {
      const run = await ws.detector(['-log-level', 'loud']);
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /failed to parse log level/);
    });

    it('a positional argument → exit 3', async () => {
      const run = await ws.detector(['some-image']);
      assert.equal(run.code, 3, show(run));
      assert.doesNotMatch(run.stderr, STACK_TRACE);
    });

    it('-version prints the version and exits 0', async () => {
      const run = await ws.detector(['-version']);
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout, /^\d+\.\d+\.\d+/);
    });
  });

  describe('bad input files: a clear message naming the file, no stack trace (DESIGN.md 6; §0.4 exit 1)', () => {
    it('malformed order.toml → exit 1, "<path>:<line>:<column>"', async () => {
      const run = await detectWith(
        'broken-order.toml',
        '[[order]]\n[[order.group]]\nid = "phases/second"\nversion = 0.0.2"\n',
      );
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, new RegExp(`${join(ws.root, 'broken-order.toml')}:4:\\d+`));
      assert.doesNotMatch(run.stderr + run.stdout, STACK_TRACE);
    });

    it('malformed buildpack.toml of an order element → exit 1, names that buildpack.toml with line:column', async () => {
      const run = await detectWith('bad-toml.toml', orderToml([['phases/bad-toml@0.0.1']]));
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /phases_bad-toml\/0\.0\.1\/buildpack\.toml:4:\d+/);
      assert.doesNotMatch(run.stderr + run.stdout, STACK_TRACE);
    });

    it('an order element with no buildpack.toml → exit 1, naming the looked-up path (§2 "Buildpack lookup")', async () => {
      const run = await detectWith('missing-bp.toml', orderToml([['phases/nowhere@9.9.9']]));
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /phases_nowhere\/9\.9\.9\/buildpack\.toml/);
      assert.doesNotMatch(run.stderr, STACK_TRACE);
    });

    it('-order naming a missing file → exit 1, naming it (§2 "Command level")', async () => {
      const missing = join(ws.root, 'custom', 'order.toml');
      const run = await ws.detector(['-order', missing]);
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /reading order/);
      assert.ok(run.stderr.includes(missing), show(run));
    });

    it('no <layers>/order.toml and no /cnb/order.toml → exit 1 (§2; §0.5 order fallback)', async () => {
      const empty = await workspace();
      try {
        const run = await empty.detector();
        assert.equal(run.code, 1, show(run));
        assert.match(run.stderr, /reading order/);
        assert.match(run.stderr, /\/cnb\/order\.toml/);
      } finally {
        await empty.cleanup();
      }
    });

    it('a plan with a top-level "version" in requires → error run → exit 21 (§2 contract)', async () => {
      const other = await workspace();
      try {
        await other.write('layers/order.toml', orderToml([['phases/api12@0.0.12']]));
        await other.write(
          'workspace/plan/api12.toml',
          '[[provides]]\nname = "x"\n[[requires]]\nname = "x"\nversion = "1"\n',
        );
        const run = await other.detector();
        assert.equal(run.code, 21, show(run));
        assert.match(run.stdout, /"version" key which is not supported/);
      } finally {
        await other.cleanup();
      }
    });
  });
});
