import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { orderToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/detector`: group selection and plan resolution as a platform sees them
 * (platform.md "detector"; buildpack.md "Phase #1: Detection"; docs/reference-behaviour.md §2).
 */
describe('detector: groups and plans (black box)', () => {
  const all: Workspace[] = [];
  const fresh = async () => {
    const ws = await workspace();
    all.push(ws);
    return ws;
  };
  after(async () => {
    for (const ws of all) await ws.cleanup();
  });

  describe('a passing group (docs/reference-behaviour.md §2 "Pass")', () => {
    let ws: Workspace;
    let run: Awaited<ReturnType<Workspace['detector']>>;
    before(async () => {
      ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/api07@0.0.7', 'phases/api12@0.0.12']]));
      await ws.write('workspace/plan/api07.toml', '[[provides]]\nname = "dep"\n');
      await ws.write(
        'workspace/plan/api12.toml',
        '[[requires]]\nname = "dep"\n[requires.metadata]\nversion = "1.2.3"\nlocal = true\n',
      );
      run = await ws.detector();
    });

    it('exits 0 (§0.4)', () => {
      assert.equal(run.code, 0, show(run));
    });

    it('writes <layers>/group.toml with id, version, api and homepage, never optional (§0.10)', async () => {
      const group = await ws.readToml('layers/group.toml');
      assert.deepEqual(group, {
        group: [
          { id: 'phases/api07', version: '0.0.7', api: '0.7' },
          { id: 'phases/api12', version: '0.0.12', api: '0.12', homepage: 'https://example.com/api12' },
        ],
      });
    });

    it('writes <layers>/plan.toml: providers carry only id and version (§2 "Build plan resolution")', async () => {
      const plan = await ws.readToml('layers/plan.toml');
      assert.deepEqual(plan, {
        entries: [
          {
            providers: [{ id: 'phases/api07', version: '0.0.7' }],
            requires: [{ name: 'dep', metadata: { version: '1.2.3', local: true } }],
          },
        ],
      });
    });

    it('lists every participating buildpack as "<id> <version>" on stdout, no Results block at info (§2)', () => {
      const lines = run.stdout.split('\n');
      assert.ok(lines.includes('phases/api07 0.0.7'), show(run));
      assert.ok(lines.includes('phases/api12 0.0.12'), show(run));
      assert.doesNotMatch(run.stdout, /======== Results ========/);
      // bin/detect output of passing buildpacks is debug-level (§2 "Build plan resolution" > Logging).
      assert.doesNotMatch(run.stdout, /detect output from/);
      assert.doesNotMatch(
        run.stdout,
        /buildpacks participating/,
        'all participate: no "N of M" line at info',
      );
    });

    it('warns on stderr that analyzed.toml is missing, and carries on (§0.10; S-8)', () => {
      assert.match(run.stderr, /Warning: No analyzed metadata found at path ".*analyzed\.toml"/);
      assert.doesNotMatch(run.stdout, /Warning:/);
    });
  });

  it('-log-level debug shows the Results block, the detect output and "pass:" lines (§2 Logging)', async () => {
    const ws = await fresh();
    await ws.write('layers/order.toml', orderToml([['phases/second@0.0.2']]));
    const run = await ws.detector(['-log-level', 'debug']);
    assert.equal(run.code, 0, show(run));
    assert.match(
      run.stdout,
      /======== Output: phases\/second@0\.0\.2 ========\n(.*\n)*detect output from second/,
    );
    assert.match(run.stdout, /======== Results ========\n(.*\n)*pass: phases\/second@0\.0\.2/);
    // The per-run plan file and its temp dir are removed afterwards (§12).
    const plan = (await ws.args('second', 'detect'))['arg2'] ?? '';
    assert.equal(existsSync(dirname(plan)), false, `${dirname(plan)} removed`);
  });

  it('drops a failing optional buildpack: "2 of 3 buildpacks participating", ids padded (§2 "If elements are dropped")', async () => {
    const ws = await fresh();
    await ws.write(
      'layers/order.toml',
      orderToml([['phases/api12@0.0.12', 'phases/third@0.0.3?', 'phases/second@0.0.2']]),
    );
    await ws.write('workspace/exit/third.detect', '100');
    const run = await ws.detector();
    assert.equal(run.code, 0, show(run));
    const lines = run.stdout.split('\n');
    assert.ok(lines.includes('2 of 3 buildpacks participating'), show(run));
    // `<id padded to the longest participating id> <version>`.
    assert.ok(lines.includes('phases/api12  0.0.12'), show(run));
    assert.ok(lines.includes('phases/second 0.0.2'), show(run));
    assert.deepEqual(await ws.groupIds(), ['phases/api12', 'phases/second']);
  });

  it('writes an empty plan as a 0-byte plan.toml (§0.10 plan.toml)', async () => {
    const ws = await fresh();
    await ws.write('layers/order.toml', orderToml([['phases/second@0.0.2']]));
    const run = await ws.detector();
    assert.equal(run.code, 0, show(run));
    assert.equal(await ws.read('layers/plan.toml'), '');
  });

  it('picks the first group that passes; each id@version detects only once (§2 "Order and group expansion")', async () => {
    const ws = await fresh();
    await ws.write(
      'layers/order.toml',
      orderToml([
        ['phases/second@0.0.2', 'phases/api07@0.0.7'],
        ['phases/second@0.0.2', 'phases/third@0.0.3'],
        ['phases/api12@0.0.12'],
      ]),
    );
    await ws.write('workspace/exit/api07.detect', '100');
    const run = await ws.detector();
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds(), ['phases/second', 'phases/third']);
    assert.equal(await ws.read('workspace/out/second.detect.count'), 'run\n', 'second detected once');
    assert.equal(await ws.exists('workspace/out/api12.detect.count'), false, 'the third group never ran');
  });

  describe('a meta-buildpack with a nested order (buildpack.md "Order"; §2 composite expansion)', () => {
    it('expands in place: the meta-buildpack itself is not in group.toml', async () => {
      const ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/meta@1.0.0', 'phases/api07@0.0.7']]));
      const run = await ws.detector();
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds(), ['phases/api12', 'phases/second', 'phases/api07']);
    });

    it('tries its next alternative, followed by the rest of the parent group', async () => {
      const ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/meta@1.0.0', 'phases/api07@0.0.7']]));
      await ws.write('workspace/exit/api12.detect', '100');
      const run = await ws.detector();
      assert.equal(run.code, 0, show(run));
      const group = await ws.readToml('layers/group.toml');
      assert.deepEqual(group['group'], [
        { id: 'phases/third', version: '0.0.3', api: '0.12' },
        { id: 'phases/api07', version: '0.0.7', api: '0.7' },
      ]);
    });

    it('de-duplicates by id: a nested element already in the group is dropped (§2 Hard parts 1)', async () => {
      const ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12', 'phases/meta@1.0.0']]));
      const run = await ws.detector();
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds(), ['phases/api12', 'phases/second']);
    });

    it('an optional meta-buildpack whose alternatives all fail is dropped (the "without it" trial)', async () => {
      const ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/meta@1.0.0?', 'phases/api07@0.0.7']]));
      await ws.write('workspace/exit/api12.detect', '100');
      await ws.write('workspace/exit/third.detect', '100');
      const run = await ws.detector();
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds(), ['phases/api07']);
    });

    it('an optional nested element that opts out is skipped', async () => {
      const ws = await fresh();
      await ws.write('layers/order.toml', orderToml([['phases/meta@1.0.0']]));
      await ws.write('workspace/exit/second.detect', '100');
      const run = await ws.detector();
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds(), ['phases/api12']);
    });
  });

  it('resolves through an [[or]] alternative when the main plan does not resolve (buildpack.md "Build Plan"; §2)', async () => {
    const ws = await fresh();
    await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12', 'phases/second@0.0.2']]));
    // Main option: provides "a", which nobody requires (unused → fails); the [[or]] provides "b".
    await ws.write(
      'workspace/plan/api12.toml',
      '[[provides]]\nname = "a"\n\n[[or]]\n[[or.provides]]\nname = "b"\n',
    );
    await ws.write(
      'workspace/plan/second.toml',
      '[[requires]]\nname = "b"\n[requires.metadata]\nfrom = "second"\n',
    );
    const run = await ws.detector(['-log-level', 'debug']);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /Resolving plan\.\.\. \(try #2\)/);
    const plan = await ws.readToml('layers/plan.toml');
    assert.deepEqual(plan, {
      entries: [
        {
          providers: [{ id: 'phases/api12', version: '0.0.12' }],
          requires: [{ name: 'b', metadata: { from: 'second' } }],
        },
      ],
    });
  });

  it('[[or]] on an optional element: only the last option keeps `optional`, so the alternative is tried first (§2)', async () => {
    const ws = await fresh();
    await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12?', 'phases/second@0.0.2']]));
    // Main option: an unmet require. Were it optional, api12 would be dropped and [second] would win.
    await ws.write(
      'workspace/plan/api12.toml',
      '[[requires]]\nname = "missing"\n\n[[or]]\n[[or.provides]]\nname = "c"\n[[or.requires]]\nname = "c"\n',
    );
    const run = await ws.detector();
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds(), ['phases/api12', 'phases/second']);
    const plan = await ws.readToml('layers/plan.toml');
    assert.deepEqual(plan, {
      entries: [{ providers: [{ id: 'phases/api12', version: '0.0.12' }], requires: [{ name: 'c' }] }],
    });
  });

  it('fails a group whose required dependency nobody provides: exit 20, "requires" on stdout (§2)', async () => {
    const ws = await fresh();
    await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12']]));
    await ws.write('workspace/plan/api12.toml', '[[requires]]\nname = "missing"\n');
    const run = await ws.detector();
    assert.equal(run.code, 20, show(run));
    assert.match(run.stdout, /fail: phases\/api12@0\.0\.12 requires missing/);
    assert.equal(await ws.exists('layers/group.toml'), false);
  });
});
