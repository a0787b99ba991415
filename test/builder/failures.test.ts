import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../../src/phase/build.ts';
import { isLifecycleError, memoryLogger } from '../../src/platform/index.ts';
import { groupToml, opts, PLAN, parseEnvDump, workspace } from './helpers.ts';

describe('builder: failures and exit codes', () => {
  type Group = ReadonlyArray<readonly [string, string, string]>;
  async function run(
    mode: string | undefined,
    group: Group = [['acme/misbehave', '0.0.4', '0.12']],
    plan = '',
  ) {
    const ws = await workspace();
    try {
      await ws.write('layers/group.toml', groupToml(group));
      await ws.write('layers/plan.toml', plan);
      if (mode !== undefined) await ws.write('platform/env/MODE', mode);
      await ws.handOver();
      const log = memoryLogger();
      try {
        const r = await build(opts(ws), log);
        return { ok: r, ws, log, env: await ws.read('workspace/out-misbehave/env').catch(() => '') };
      } catch (e) {
        assert.ok(isLifecycleError(e), `not a LifecycleError: ${String(e)}`);
        return { err: e, ws, log };
      }
    } finally {
      await ws.cleanup();
    }
  }

  const cases: Array<[string, number, RegExp]> = [
    ['fail', 51, /acme\/misbehave@0\.0\.4.*exit status 3/],
    ['bad-launch', 52, /acme_misbehave\/launch\.toml:1:/],
    ['string-command', 52, /launch\.toml.*command.*array/],
    ['latin1-launch', 52, /acme_misbehave\/launch\.toml:3:16: invalid UTF-8/],
    ['direct', 52, /process\.direct is not supported/],
    ['two-defaults', 52, /multiple default process types/],
    ['types-top-level', 52, /should be in the types table of .*bad\.toml/],
    ['undeclared-sbom', 52, /undeclared SBOM media type/],
    ['unknown-unmet', 52, /unmet\.name 'not-in-plan' must match a requested dependency/],
  ];
  for (const [mode, exit, msg] of cases) {
    it(`${mode} → exit ${exit}`, async () => {
      const r = await run(mode);
      assert.ok(r.err, 'expected a failure');
      assert.equal(r.err.exitCode, exit);
      assert.match(r.err.message, msg);
    });
  }

  it('an unsupported buildpack API in group.toml is exit 12 before any buildpack runs', async () => {
    const r = await run(undefined, [
      ['acme/misbehave', '0.0.4', '0.12'],
      ['acme/first', '0.0.1', '0.1'],
    ]);
    assert.equal(r.err?.exitCode, 12);
    assert.match(r.err?.message ?? '', /acme\/first@0\.0\.1/);
  });

  it('a missing group.toml is exit 1 naming the file', async () => {
    const ws = await workspace();
    try {
      await assert.rejects(build(opts(ws), memoryLogger()), (e: unknown) => {
        assert.ok(isLifecycleError(e));
        assert.equal(e.exitCode, 1);
        assert.match(e.message, /group\.toml/);
        return true;
      });
    } finally {
      await ws.cleanup();
    }
  });

  it('an empty group succeeds with no processes and warns about missing analyzed.toml', async () => {
    const r = await run(undefined, []);
    assert.ok(r.ok);
    assert.deepEqual(r.ok.metadata.processes, []);
    assert.ok(r.log.lines.some((l) => l.startsWith('warn: No analyzed metadata found')));
  });

  it('API 0.12 gets CNB_EXEC_ENV=production and host-derived target vars without analyzed.toml', async () => {
    const r = await run('none');
    const env = parseEnvDump(r.env ?? '');
    assert.equal(env['CNB_EXEC_ENV'], 'production');
    assert.equal(env['CNB_TARGET_OS'], 'linux');
    assert.ok(env['CNB_TARGET_ARCH']);
  });

  it('a non-default redefinition of the default process type clears the default with a warning', async () => {
    const r = await run(
      'redefine-web',
      [
        ['acme/first', '0.0.1', '0.7'],
        ['acme/misbehave', '0.0.4', '0.12'],
      ],
      PLAN,
    );
    assert.ok(r.ok);
    assert.equal(r.ok.metadata.buildpackDefaultProcessType, undefined);
    assert.deepEqual(
      r.ok.metadata.processes.map((p) => [p.type, p.buildpackId]),
      [['web', 'acme/misbehave']],
    );
    assert.ok(
      r.log.lines.some(
        (l) => l.includes('redefining the following default process type') && l.includes('web'),
      ),
    );
  });
});
