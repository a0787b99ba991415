import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILDPACKS, orderToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/detector`: where inputs come from (docs/reference-behaviour.md §0.5 "Input
 * precedence and defaults": flag > env var > default; `<layers>`-relative defaults; order.toml
 * fallback; relative paths) and §2 "Env overrides … are honoured".
 */
describe('detector: input precedence (black box)', () => {
  let ws: Workspace;

  before(async () => {
    ws = await workspace();
    // Two orders that select different groups, so the chosen file is visible in group.toml.
    await ws.write('layers/order.toml', orderToml([['phases/api07@0.0.7']]));
    await ws.write('other/order.toml', orderToml([['phases/second@0.0.2']]));
    await ws.write('other-layers/order.toml', orderToml([['phases/third@0.0.3']]));
  });
  after(() => ws.cleanup());

  it('every input from CNB_* env vars alone (§2: CNB_ORDER_PATH, CNB_BUILDPACKS_DIR, CNB_APP_DIR, …)', async () => {
    const run = await ws.detector(
      [],
      {
        CNB_APP_DIR: ws.app,
        CNB_LAYERS_DIR: ws.layers,
        CNB_PLATFORM_DIR: ws.platform,
        CNB_BUILDPACKS_DIR: BUILDPACKS,
        CNB_ORDER_PATH: join(ws.root, 'other', 'order.toml'),
        CNB_GROUP_PATH: join(ws.root, 'env-group.toml'),
        CNB_PLAN_PATH: join(ws.root, 'env-plan.toml'),
      },
      { bare: true },
    );
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('env-group.toml'), ['phases/second']);
    assert.equal(await ws.exists('env-plan.toml'), true);
    const args = await ws.args('second', 'detect');
    assert.equal(args['cwd'], ws.app, 'bin/detect runs in CNB_APP_DIR');
    assert.equal(args['arg1'], ws.platform, 'argv[1] is CNB_PLATFORM_DIR');
  });

  it('a flag beats its env var: -group over CNB_GROUP_PATH, -plan over CNB_PLAN_PATH', async () => {
    const run = await ws.detector(
      ['-group', join(ws.root, 'flag-group.toml'), '-plan', join(ws.root, 'flag-plan.toml')],
      {
        CNB_GROUP_PATH: join(ws.root, 'env-only-group.toml'),
        CNB_PLAN_PATH: join(ws.root, 'env-only-plan.toml'),
      },
    );
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('flag-group.toml'), ['phases/api07']);
    assert.equal(await ws.exists('flag-plan.toml'), true);
    assert.equal(await ws.exists('env-only-group.toml'), false);
    assert.equal(await ws.exists('env-only-plan.toml'), false);
  });

  it('a flag beats its env var: -order over CNB_ORDER_PATH', async () => {
    const run = await ws.detector(
      ['-order', join(ws.root, 'other', 'order.toml'), '-group', join(ws.root, 'g1.toml')],
      {
        CNB_ORDER_PATH: join(ws.root, 'layers', 'order.toml'),
      },
    );
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('g1.toml'), ['phases/second']);
  });

  it('<layers>/order.toml is used when no order is given (over the /cnb/order.toml default)', async () => {
    const run = await ws.detector(['-group', join(ws.root, 'g2.toml')]);
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('g2.toml'), ['phases/api07']);
  });

  it('an order set explicitly is never overridden by <layers>/order.toml (§0.5)', async () => {
    const run = await ws.detector([], { CNB_ORDER_PATH: join(ws.root, 'other', 'order.toml') });
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('layers/group.toml'), ['phases/second']);
  });

  it('<layers> defaults follow the final layers dir: -layers beats CNB_LAYERS_DIR for order, group and plan', async () => {
    const other = join(ws.root, 'other-layers');
    const run = await ws.detector(
      ['-app', ws.app, '-platform', ws.platform, '-buildpacks', BUILDPACKS, '-layers', other],
      { CNB_LAYERS_DIR: ws.layers },
      { bare: true },
    );
    assert.equal(run.code, 0, show(run));
    assert.deepEqual(await ws.groupIds('other-layers/group.toml'), ['phases/third']);
    assert.equal(await ws.exists('other-layers/plan.toml'), true);
  });

  it('-analyzed beats the <layers>/analyzed.toml default (target data for CNB_TARGET_*)', async () => {
    await ws.write(
      'layers/analyzed.toml',
      '[run-image]\n  [run-image.target]\n    os = "linux"\n    arch = "amd64"\n',
    );
    await ws.write(
      'flag-analyzed.toml',
      '[run-image]\n  [run-image.target]\n    os = "linux"\n    arch = "s390x"\n',
    );
    await ws.write('a3/order.toml', orderToml([['phases/api12@0.0.12']]));
    const run = await ws.detector([
      '-order',
      join(ws.root, 'a3', 'order.toml'),
      '-analyzed',
      join(ws.root, 'flag-analyzed.toml'),
    ]);
    assert.equal(run.code, 0, show(run));
    assert.equal((await ws.env('api12', 'detect'))['CNB_TARGET_ARCH'], 's390x');
  });

  describe('relative paths (§0.5: dirs made absolute; files stay relative to the cwd)', () => {
    it('-app/-layers/-platform relative to the cwd; CNB_GROUP_PATH=./custom_group.toml lands in the cwd', async () => {
      const run = await ws.detector(
        ['-app', 'workspace', '-layers', './layers', '-platform', 'platform', '-buildpacks', BUILDPACKS],
        { CNB_GROUP_PATH: './custom_group.toml', CNB_PLAN_PATH: 'custom_plan.toml' },
        { bare: true, cwd: ws.root },
      );
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds('custom_group.toml'), ['phases/api07']);
      assert.equal(await ws.exists('custom_plan.toml'), true);
      const args = await ws.args('api07', 'detect');
      assert.equal(args['cwd'], ws.app, 'bin/detect runs in the absolute app dir');
      assert.equal(args['arg1'], ws.platform, 'argv[1] is the absolute platform dir');
    });

    it('-order with a relative path', async () => {
      const run = await ws.detector(
        ['-order', 'other/order.toml', '-group', 'rel-group.toml'],
        {},
        { cwd: ws.root },
      );
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(await ws.groupIds('rel-group.toml'), ['phases/second']);
    });
  });
});
