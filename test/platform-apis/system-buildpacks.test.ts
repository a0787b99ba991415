// System buildpacks (platform-0.15.md "detector" and "system.toml"): the detector's `-system` /
// CNB_SYSTEM_PATH from Platform API 0.15, run through the built lifecycle with the e2e buildpacks
// (e2e/app requires "runtime", which only e2e/runtime provides).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cleanupLifecycle,
  detectorFlags,
  ok,
  phase,
  show,
  type Workspace,
  workspace,
} from '../e2e/helpers.ts';

const APP_ONLY = '[[order]]\n[[order.group]]\nid = "e2e/app"\nversion = "0.0.1"\n';
const BOTH =
  '[[order]]\n[[order.group]]\nid = "e2e/runtime"\nversion = "0.0.1"\n[[order.group]]\nid = "e2e/app"\nversion = "0.0.1"\n';
const PRE_RUNTIME = '[[system.pre.buildpacks]]\nid = "e2e/runtime"\nversion = "0.0.1"\n';

describe('system buildpacks (platform-0.15.md "system.toml")', () => {
  let ws: Workspace;
  const file = (name: string) => join(ws.root, name);
  const detector = (api: string, order: string, extra: string[] = [], env: Record<string, string> = {}) =>
    phase('detector', [...detectorFlags(ws, order), ...extra], ws.env({ CNB_PLATFORM_API: api, ...env }));
  const groupIds = async () =>
    ((await ws.readToml('layers/group.toml'))['group'] as { id: string }[]).map((g) => g.id);

  before(async () => {
    ws = await workspace('system-bp-');
    await writeFile(file('app-only.toml'), APP_ONLY);
    await writeFile(file('both.toml'), BOTH);
    await writeFile(file('system.toml'), PRE_RUNTIME);
    await writeFile(
      file('system-both.toml'),
      `${PRE_RUNTIME}[[system.post.buildpacks]]\nid = "e2e/runtime"\nversion = "0.0.1"\n`,
    );
  });
  after(async () => {
    await ws.cleanup();
    await cleanupLifecycle();
  });

  it('0.15: `-system` pre buildpacks start every group before detection ("detector": SHALL merge)', async () => {
    await ws.fresh();
    ok(await detector('0.15', file('app-only.toml'), ['-system', file('system.toml')]), 'detector 0.15');
    assert.deepEqual(await groupIds(), ['e2e/runtime', 'e2e/app']);
  });

  it('0.15: CNB_SYSTEM_PATH names the file as the flag does', async () => {
    await ws.fresh();
    ok(await detector('0.15', file('app-only.toml'), [], { CNB_SYSTEM_PATH: file('system.toml') }));
    assert.deepEqual(await groupIds(), ['e2e/runtime', 'e2e/app']);
  });

  it('0.15: a system buildpack whose ID the group has is not merged again (pre and post)', async () => {
    await ws.fresh();
    ok(await detector('0.15', file('both.toml'), ['-system', file('system-both.toml')]));
    assert.deepEqual(await groupIds(), ['e2e/runtime', 'e2e/app']);
  });

  it('0.15: a missing system.toml means no system buildpacks (D-310)', async () => {
    await ws.fresh();
    ok(await detector('0.15', file('both.toml'), ['-system', file('absent.toml')]));
    assert.deepEqual(await groupIds(), ['e2e/runtime', 'e2e/app']);
  });

  it('0.15: a system buildpack without a version fails with exit 1 naming the file ("MUST be present")', async () => {
    await ws.fresh();
    await writeFile(file('bad-system.toml'), '[[system.pre.buildpacks]]\nid = "e2e/runtime"\n');
    const r = await detector('0.15', file('app-only.toml'), ['-system', file('bad-system.toml')]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /bad-system\.toml/);
    assert.match(r.stderr, /system\.pre\.buildpacks\[0\]\.version/);
  });

  it('0.14: no `-system` flag (exit 2) and CNB_SYSTEM_PATH is not read', async () => {
    await ws.fresh();
    const flag = await detector('0.14', file('app-only.toml'), ['-system', file('system.toml')]);
    assert.equal(flag.code, 2, show(flag));
    assert.match(flag.stderr, /flag provided but not defined: -system/);
    // Without the system buildpack nothing provides "runtime": every group fails (exit 20).
    const env = await detector('0.14', file('app-only.toml'), [], { CNB_SYSTEM_PATH: file('system.toml') });
    assert.equal(env.code, 20, show(env));
  });
});
