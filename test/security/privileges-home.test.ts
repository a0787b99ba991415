import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { pushRunImage } from '../e2e/helpers.ts';
import { cleanupDist } from '../exporter/helpers.ts';
import { lifecycleSnapshot, runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { type SecWorkspace, secWorkspace, show } from './fixture.ts';

/**
 * Issue 10 item 4 (docs/decisions.md D-203): wherever a phase drops to the build user, buildpacks get
 * that user's HOME and USER from /etc/passwd, as the reference's `priv.SetEnvironmentForUser` — not
 * root's HOME, which the build user cannot write. 65534 is `nobody:/nonexistent` in /etc/passwd; a uid
 * without an entry keeps HOME only when it can write it.
 */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = { HOME: '/nonexistent', USER: 'nobody' };

describe('privileges: HOME and USER of the build user (started as root with HOME=/root)', {
  skip: AS_ROOT ? false : 'needs root (CI runs as root)',
}, () => {
  let ws: SecWorkspace | undefined;
  let reg: RegistryHandle;
  before(async () => {
    reg = await startRegistry();
  });
  afterEach(() => ws?.cleanup());
  after(async () => {
    await reg?.stop();
    await cleanupDist();
  });

  for (const [phase, step] of [
    ['detector', 'detect'],
    ['builder', 'build'],
  ] as const) {
    it(`${phase}: bin/${step} sees HOME=/nonexistent USER=nobody`, async () => {
      ws = await secWorkspace();
      const r = await ws.phase(phase, { HOME: '/root', USER: 'root' });
      assert.equal(r.code, 0, show(r));
      const env = await ws.env('one', step);
      assert.deepEqual({ HOME: env['HOME'], USER: env['USER'] }, NOBODY);
    });
  }

  it('creator: bin/detect and bin/build see HOME=/nonexistent USER=nobody', async () => {
    ws = await secWorkspace();
    const runImage = await pushRunImage(reg.host, 'sec/run');
    const args = [
      ...['-app', ws.app, '-layers', ws.layers, '-platform', ws.platform, '-buildpacks', ws.buildpacks],
      ...['-order', ws.order, '-launcher', join(await lifecycleSnapshot(), 'launcher')],
      ...['-run-image', runImage.name, `${reg.host}/sec/app:latest`],
    ];
    const r = await runPhase(
      'creator',
      args,
      { CNB_PLATFORM_API: '0.12', CNB_USER_ID: '65534', CNB_GROUP_ID: '65534', HOME: '/root', USER: 'root' },
      { dir: await lifecycleSnapshot(), timeoutMs: 300_000 },
    );
    assert.equal(r.code, 0, show(r));
    for (const step of ['detect', 'build'] as const) {
      const env = await ws.env('one', step);
      assert.deepEqual({ HOME: env['HOME'], USER: env['USER'] }, NOBODY, step);
    }
  });

  it('a uid without a passwd entry: no USER, and no HOME it cannot write (said at debug level)', async () => {
    ws = await secWorkspace();
    const r = await ws.phase('builder', {
      HOME: '/root',
      USER: 'root',
      CNB_USER_ID: '4242',
      CNB_GROUP_ID: '4242',
      CNB_LOG_LEVEL: 'debug',
    });
    assert.equal(r.code, 0, show(r));
    const env = await ws.env('one', 'build');
    assert.deepEqual({ HOME: env['HOME'], USER: env['USER'] }, { HOME: undefined, USER: undefined });
    assert.match(r.stdout + r.stderr, /uid 4242 has no entry in \/etc\/passwd .*no HOME/);
  });
});
