// Malformed inputs and lookup failures give clear messages and the reference's exit codes
// (platform.md "detector" exit codes; docs/reference-behaviour.md §2 "Command level").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { detect } from '../../src/phase/detect.ts';
import { isLifecycleError } from '../../src/platform/errors.ts';
import { memoryLogger } from '../../src/platform/log.ts';
import { type DetectWorkspace, detectWorkspace, orderToml } from './helpers.ts';

describe('detector: errors', () => {
  let ws: DetectWorkspace;
  before(async () => {
    ws = await detectWorkspace();
  });
  after(() => ws.cleanup());

  const cases: { name: string; order: string; exit: number; message: RegExp }[] = [
    {
      name: 'malformed order.toml names file, line and column',
      order: '[[order]\n',
      exit: 1,
      message: /failed to initialize detector: reading order: .*order\.toml:1:\d+: /,
    },
    {
      name: 'order entry without version',
      order: '[[order]]\n[[order.group]]\nid = "always_pass"\n',
      exit: 1,
      message: /order\.toml: order\[0\]\.group\[0\]\.version: is required/,
    },
    {
      name: 'order entry with a non-boolean optional',
      order: '[[order]]\n[[order.group]]\nid = "always_pass"\nversion = "0.0.1"\noptional = "yes"\n',
      exit: 1,
      message: /order\[0\]\.group\[0\]\.optional: expected true or false/,
    },
    {
      name: 'top-level buildpack not found',
      order: orderToml([['nope@1.0.0']]),
      exit: 1,
      message:
        /failed to initialize detector: .*buildpack 'nope@1\.0\.0' not found: .*nope\/1\.0\.0\/buildpack\.toml does not exist/,
    },
    {
      name: 'malformed buildpack.toml names file and line',
      order: orderToml([['bad_toml@0.0.1']]),
      exit: 1,
      message: /bad_toml\/0\.0\.1\/buildpack\.toml:2:\d+: /,
    },
    {
      name: 'buildpack.toml without id',
      order: orderToml([['no_id@0.0.1']]),
      exit: 1,
      message: /no_id\/0\.0\.1\/buildpack\.toml: buildpack\.id: is required/,
    },
    {
      name: 'unsupported buildpack API',
      order: orderToml([['bad_api@0.0.1']]),
      exit: 12,
      message: /buildpack 'bad_api@0\.0\.1'.*declares buildpack API '0\.1'.*supported Buildpack APIs: 0\.7/,
    },
    {
      name: 'buildpack missing inside a meta-buildpack is a detect error',
      order: orderToml([['meta_missing@1.0.0']]),
      exit: 22,
      message: /buildpack 'does_not_exist@9\.9\.9' not found/,
    },
    {
      name: 'an empty order fails detection',
      order: '',
      exit: 20,
      message: /no buildpacks participating/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} (exit ${c.exit})`, async () => {
      await ws.write('layers/order.toml', c.order);
      const { error, result } = await ws.run();
      assert.equal(result, undefined);
      assert.equal(error?.exitCode, c.exit, error?.message);
      assert.match(error?.message ?? '', c.message);
    });
  }

  it('a missing order file is exit 1 naming the path', async () => {
    const { error } = await ws.run({ order: join(ws.root, 'custom', 'order.toml') });
    assert.equal(error?.exitCode, 1);
    assert.match(
      error?.message ?? '',
      /failed to initialize detector: reading order: failed to read order file .*custom\/order\.toml: no such file; pass -order/,
    );
  });

  it('an optional meta-buildpack gets a trial without it', async () => {
    await ws.write('layers/order.toml', orderToml([['meta_optional@1.0.0?', 'always_pass@0.0.1']]));
    const { result, lines } = await ws.run();
    assert.deepEqual(
      result?.group.group.map((g) => g.id),
      ['always_pass'],
      lines.join('\n'),
    );
    assert.ok(lines.includes('debug: fail: requirer@0.0.1 requires dep'));
  });

  it('as root, refuses to run buildpacks without a build user (S-7)', async () => {
    await ws.write('layers/order.toml', orderToml([['always_pass@0.0.1']]));
    const { uid: _u, gid: _g, ...noUser } = ws.options();
    const run = detect(noUser, memoryLogger());
    if (process.getuid?.() === 0) {
      await assert.rejects(
        run,
        (e) =>
          isLifecycleError(e) && e.exitCode === 1 && /refusing to run as root.*CNB_USER_ID/.test(e.message),
      );
    } else {
      assert.deepEqual(
        (await run).group.group.map((g) => g.id),
        ['always_pass'],
      );
    }
  });
});
