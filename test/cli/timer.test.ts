import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  groupToml,
  orderToml,
  PLATFORM_API,
  show,
  USER_ENV,
  type Workspace,
  workspace,
} from '../support/black-box.ts';
import { type PhaseRun, runPhase } from '../support/lifecycle.ts';

/**
 * The `Timer:` lines (D-385) as the reference prints them (D-413): a phase's timer starts once its
 * inputs are checked and read, so a run that fails on its inputs prints none; the end line is printed
 * when the phase's work fails too.
 */
const START = (phase: string) =>
  new RegExp(`^Timer: ${phase} started at \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z$`, 'm');
const END = (phase: string) => new RegExp(`^Timer: ${phase} ran for \\S+ and ended at \\S+Z$`, 'm');
const DEBUG = ['-log-level', 'debug'];

describe('Timer lines (black box)', () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
  });
  after(() => ws.cleanup());

  const run = (phase: string, args: readonly string[]) =>
    runPhase(phase, [...DEBUG, ...args], { CNB_PLATFORM_API: PLATFORM_API, ...USER_ENV });
  const noTimer = (r: PhaseRun, code?: number) => {
    if (code === undefined) assert.notEqual(r.code, 0, show(r));
    else assert.equal(r.code, code, show(r));
    assert.doesNotMatch(r.stdout + r.stderr, /Timer:/, show(r));
  };

  it('none when a phase fails on its inputs, before its work starts', async () => {
    const missing = join(ws.root, 'missing');
    const layers = ['-layers', ws.layers];
    // no order.toml; no group.toml (detector, builder, restorer); no analyzed.toml (extender)
    noTimer(await ws.detector([...DEBUG, '-order', join(missing, 'order.toml')]));
    noTimer(await ws.builder([...DEBUG, '-group', join(missing, 'group.toml')]));
    noTimer(await run('restorer', [...layers, '-group', join(missing, 'group.toml')]));
    noTimer(await run('extender', [...layers, '-analyzed', join(missing, 'analyzed.toml'), '-kind', 'run']));
    noTimer(await run('exporter', [...layers, '-group', join(missing, 'group.toml'), 'registry.test/app']));
    // flags the phase refuses (exit 3): a bad reference, -run-image for the exporter, both run images
    noTimer(await run('analyzer', [...layers, '-run-image', 'run', 'Not/A:Reference!']), 3);
    noTimer(await run('exporter', [...layers, '-run-image', 'other/run', 'registry.test/app']), 3);
    noTimer(await run('rebaser', ['-run-image', 'a/run', '-image', 'b/run', 'registry.test/app']), 3);
  });

  it('around the builder’s work, the end line also when a buildpack fails (exit 51)', async () => {
    await ws.write('layers/group.toml', groupToml(['phases/api12@0.0.12@0.12']));
    await ws.write('layers/plan.toml', '');
    await ws.write('workspace/exit/api12.build', '7');
    const r = await ws.builder(DEBUG);
    assert.equal(r.code, 51, show(r));
    assert.match(r.stdout, START('Builder'));
    assert.match(r.stdout, END('Builder'));
  });

  it('the detector’s end line follows the buffered detect output, then the failure is reported', async () => {
    await ws.write('workspace/exit/second.detect', '100');
    await ws.write('fail.toml', orderToml([['phases/second@0.0.2']]));
    const r = await ws.detector(['-order', join(ws.root, 'fail.toml')]);
    assert.equal(r.code, 20, show(r));
    assert.doesNotMatch(r.stdout, START('Detector'), 'the start line is at debug');
    assert.match(
      r.stdout,
      /======== Results ========\n(.*\n)*fail: phases\/second@0\.0\.2\n(.*\n)*Timer: Detector ran for /,
    );
    assert.match(r.stderr, /ERROR: No buildpack groups passed detection\./);
  });

  it('around the restorer’s work once group.toml is read and no cache is given', async () => {
    await ws.write('layers/group.toml', groupToml(['phases/api12@0.0.12@0.12']));
    const r = await run('restorer', ['-layers', ws.layers]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, START('Restorer'));
    assert.match(r.stdout, END('Restorer'));
  });
});
