import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { acquireCommitLock, LOCK, stagingName, sweepStale } from './dir-lock.ts';
import { currentOwner, ownerToken } from './owner.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dir-lock-'));
  dirs.push(d);
  return d;
}
/** The PID of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
}

describe('shared cache directory: staging sweep and commit lock (D-231)', () => {
  it('removes only staging areas of writers provably gone, or idle for a day', async () => {
    const dir = await tempDir();
    const me = currentOwner();
    const dead = stagingName({ ...me, pid: deadPid() });
    const live = stagingName(currentOwner());
    const elsewhere = stagingName({ ...me, pid: deadPid(), host: 'other-host' });
    const idle = stagingName({ ...me, pid: deadPid(), pidns: 1 });
    for (const d of [dead, live, elsewhere, idle, 'staging', 'committed']) await mkdir(join(dir, d));
    await writeFile(join(dir, dead, 'x.tmp'), 'partial');
    await writeFile(join(dir, `.commit.lock.${ownerToken({ ...me, pid: deadPid() })}`), 'tmp');
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(join(dir, idle), old, old);
    const removed = await sweepStale(dir, me);
    assert.equal(removed.length, 3, removed.join(' '));
    assert.deepEqual((await readdir(dir)).sort(), ['committed', elsewhere, live, 'staging'].sort());
  });

  it('serializes holders, breaks a lock whose holder is gone, and times out on a live one', async () => {
    const dir = await tempDir();
    const first = await acquireCommitLock(dir);
    // Held by a live process (this one): a second taker waits, then fails naming the lock file.
    await assert.rejects(acquireCommitLock(dir, 300), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_CACHE_LOCKED');
      assert.match(e.message, new RegExp(`${LOCK}.*remove`));
      return true;
    });
    await first.release();
    assert.equal(existsSync(join(dir, LOCK)), false);
    // A lock left by a process that died is broken.
    await writeFile(join(dir, LOCK), ownerToken({ ...currentOwner(), pid: deadPid() }));
    const second = await acquireCommitLock(dir, 300);
    await second.release();
    // A lock of unknown shape is presumed alive until it is older than any commit.
    await writeFile(join(dir, LOCK), 'written by something else');
    await assert.rejects(acquireCommitLock(dir, 300), { code: 'ERR_CACHE_LOCKED' });
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(dir, LOCK), old, old);
    await (await acquireCommitLock(dir, 300)).release();
    assert.deepEqual(await readdir(dir), [], 'no temporaries left');
  });
});
