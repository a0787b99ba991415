import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'smol-toml';
import {
  BUILDPACKS,
  orderToml,
  PLATFORM_API,
  show,
  USER_ENV,
  type Workspace,
  workspace,
} from '../support/black-box.ts';
import { runPhase } from '../support/lifecycle.ts';

/**
 * Black-box chain `detector` → `builder` on one `<layers>` dir, as a platform runs them (platform.md
 * "Build" phases; buildpack.md "Build Plan" → "Buildpack Plan"; docs/reference-behaviour.md §2, §5).
 */
describe('detector then builder (black box)', () => {
  let ws: Workspace;
  let detect: Awaited<ReturnType<Workspace['detector']>>;
  let build: Awaited<ReturnType<Workspace['builder']>>;

  before(async () => {
    ws = await workspace();
    await ws.write(
      'layers/order.toml',
      orderToml([['phases/third@0.0.3?', 'phases/api07@0.0.7', 'phases/api12@0.0.12']]),
    );
    await ws.write('workspace/exit/third.detect', '100');
    await ws.write('workspace/plan/api07.toml', '[[provides]]\nname = "runtime"\n');
    await ws.write(
      'workspace/plan/api12.toml',
      '[[provides]]\nname = "app"\n\n[[requires]]\nname = "runtime"\n[requires.metadata]\nversion = "1.2.3"\n\n[[requires]]\nname = "app"\n',
    );
    await ws.write(
      'workspace/build/api12/launch.toml',
      '[[processes]]\ntype = "web"\ncommand = ["serve", "--port", "8080"]\ndefault = true\n',
    );
    detect = await ws.detector();
    build = await ws.builder();
  });
  after(() => ws.cleanup());

  it('both phases exit 0', () => {
    assert.equal(detect.code, 0, show(detect));
    assert.equal(build.code, 0, show(build));
  });

  it('the builder runs exactly the detected group, in order (the optional opt-out is not built)', async () => {
    assert.equal(await ws.read('workspace/out/build.order'), 'api07\napi12\n');
  });

  it('each buildpack gets the plan entries it provides, flattened to [[entries]] name + metadata (§5)', async () => {
    const p07 = parse(await ws.read('workspace/out/api07.build.plan'));
    assert.deepEqual(JSON.parse(JSON.stringify(p07)), {
      entries: [{ name: 'runtime', metadata: { version: '1.2.3' } }],
    });
    const p12 = parse(await ws.read('workspace/out/api12.build.plan'));
    assert.deepEqual(JSON.parse(JSON.stringify(p12)), { entries: [{ name: 'app' }] });
  });

  it('metadata.toml carries the group with homepage, and the default process', async () => {
    const md = await ws.readToml('layers/config/metadata.toml');
    assert.deepEqual(md['buildpacks'], [
      { id: 'phases/api07', version: '0.0.7', api: '0.7' },
      { id: 'phases/api12', version: '0.0.12', api: '0.12', homepage: 'https://example.com/api12' },
    ]);
    assert.equal(md['buildpack-default-process-type'], 'web');
  });

  it('`lifecycle detect` and `lifecycle build` (multi-call, §0.1) behave like detector and builder', async () => {
    const env = { CNB_PLATFORM_API: PLATFORM_API, ...USER_ENV };
    const dirs = ['-app', ws.app, '-layers', ws.layers, '-platform', ws.platform, '-buildpacks', BUILDPACKS];
    const d = await runPhase('lifecycle', ['detect', ...dirs], env);
    assert.equal(d.code, 0, show(d));
    // Both runs' output but the duration line (D-385), which differs from run to run.
    const timeless = (out: string) => out.replace(/^Timer: .*\n/gm, '');
    assert.equal(timeless(d.stdout), timeless(detect.stdout));
    const b = await runPhase('lifecycle', ['build', ...dirs], env);
    assert.equal(b.code, 0, show(b));
    assert.equal(await ws.read('workspace/out/build.order'), 'api07\napi12\napi07\napi12\n');
  });
});
