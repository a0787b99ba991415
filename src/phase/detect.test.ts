// detect(): bin/detect runs concurrently within a group (buildpack.md "Detection": "MAY execute each
// /bin/detect within a group in parallel") while results and logs stay in group order.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { memoryLogger } from '../platform/log.ts';
import { type DetectOptions, detect } from './detect.ts';

// Each buildpack announces itself, then waits (up to 2 s) for its partner: this passes only when
// both run at the same time. `b` finishes first, so completion order differs from group order.
const script = (me: string, other: string, linger: string) => `#!/bin/sh
touch "$SYNC_DIR/${me}"
i=0
while [ ! -e "$SYNC_DIR/${other}" ]; do i=$((i+1)); [ $i -gt 40 ] && { echo "${me}: no partner"; exit 1; }; sleep 0.05; done
sleep ${linger}
echo "${me} done"
`;

describe('detect (phase)', () => {
  let root: string;
  const opts = (sync: string, extra: Partial<DetectOptions> = {}): DetectOptions => ({
    app: join(root, 'app'),
    buildpacks: join(root, 'buildpacks'),
    buildConfig: join(root, 'build-config'),
    group: join(root, sync, 'group.toml'),
    layers: join(root, sync),
    order: join(root, 'order.toml'),
    plan: join(root, sync, 'plan.toml'),
    platform: join(root, sync, 'platform'),
    analyzed: join(root, 'analyzed.toml'),
    env: { PATH: '/usr/bin:/bin' },
    platformApi: { major: 0, minor: 12 },
    tmpDir: root,
    osReleasePath: join(root, 'no-os-release'),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    ...extra,
  });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'detect-phase-'));
    for (const [id, other, linger] of [
      ['a', 'b', '0.3'],
      ['b', 'a', '0'],
    ] as const) {
      const dir = join(root, 'buildpacks', id, '1');
      await mkdir(join(dir, 'bin'), { recursive: true });
      await writeFile(
        join(dir, 'buildpack.toml'),
        `api = "0.10"\n[buildpack]\nid = "${id}"\nversion = "1"\n`,
      );
      await writeFile(join(dir, 'bin', 'detect'), script(id, other, linger));
      await chmod(join(dir, 'bin', 'detect'), 0o755);
    }
    await mkdir(join(root, 'app'));
    await writeFile(
      join(root, 'order.toml'),
      '[[order]]\n[[order.group]]\nid = "a"\nversion = "1"\n[[order.group]]\nid = "b"\nversion = "1"\n',
    );
    for (const sync of ['parallel', 'serial']) {
      await mkdir(join(root, sync, 'platform', 'env'), { recursive: true });
      await writeFile(join(root, sync, 'platform', 'env', 'SYNC_DIR'), join(root, sync));
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('runs a group concurrently and reports in group order', async () => {
    const log = memoryLogger('debug');
    const r = await detect(opts('parallel'), log);
    assert.deepEqual(
      r.group.group.map((g) => g.id),
      ['a', 'b'],
    );
    const outputs = log.lines.filter((l) => l.startsWith('debug: ======== Output:'));
    assert.deepEqual(outputs, [
      'debug: ======== Output: a@1 ========',
      'debug: ======== Output: b@1 ========',
    ]);
    assert.equal(
      await readFile(join(root, 'parallel', 'group.toml'), 'utf8'),
      '[[group]]\nid = "a"\nversion = "1"\napi = "0.10"\n\n[[group]]\nid = "b"\nversion = "1"\napi = "0.10"\n',
    );
    assert.ok(
      log.lines.includes('warn: No analyzed metadata found at path "' + join(root, 'analyzed.toml') + '"'),
    );
  });

  it('with concurrency 1 the rendezvous cannot happen (proving the default is parallel)', async () => {
    const log = memoryLogger('debug');
    await assert.rejects(
      () => detect(opts('serial', { concurrency: 1 }), log),
      (e) => isLifecycleError(e) && e.exitCode === 21,
    );
    assert.ok(log.lines.includes('info: a: no partner'), log.lines.join('\n'));
  });
});
