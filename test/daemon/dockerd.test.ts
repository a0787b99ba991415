import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { startDockerd } from '../support/docker.ts';

/** Mount points of test daemons' data roots (`/tmp/dkd-<id>/data`). */
async function dataRootMounts(): Promise<Set<string>> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return new Set(
    info
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => /^\/tmp\/dkd-[^/]+\/data$/.test(m)),
  );
}

describe('startDockerd', () => {
  it('fails loudly with the daemon log tail when dockerd cannot start', async () => {
    await assert.rejects(
      startDockerd({ extraArgs: ['--storage-driver-does-not-exist'], timeoutMs: 20_000 }),
      (e: unknown) =>
        e instanceof Error &&
        /dockerd exited/.test(e.message) &&
        /Log tail:/.test(e.message) &&
        /storage-driver-does-not-exist/.test(e.message),
    );
  });

  it('leaves no mount behind when dockerd fails to start', async () => {
    const before = await dataRootMounts();
    await assert.rejects(startDockerd({ storageDrivers: ['no-such-driver'], timeoutMs: 20_000 }));
    // other daemons may start meanwhile; a leaked mount is one whose directory holds nothing else
    for (const m of await dataRootMounts())
      if (!before.has(m))
        assert.ok(existsSync(`${dirname(m)}/dockerd.log`), `${m} is still mounted after a failed start`);
  });

  it('tries the storage drivers in order and runs with the first that starts', async () => {
    const d = await startDockerd({ storageDrivers: ['no-such-driver', 'vfs'], timeoutMs: 20_000 });
    try {
      assert.equal(d.storageDriver, 'vfs');
      const info = await d.docker(['info', '--format', '{{.Driver}}']);
      assert.equal(info.stdout.trim(), 'vfs');
    } finally {
      await d.stop();
    }
  });

  it('starts a daemon that answers the docker CLI on a short socket path', async () => {
    const d = await startDockerd();
    try {
      assert.ok(d.socket.length < 100, d.socket);
      assert.equal(d.env.DOCKER_HOST, d.host);
      const { stdout } = await d.docker(['version', '--format', '{{.Server.Version}}']);
      assert.match(stdout.trim(), /^\d+\.\d+/);
    } finally {
      await d.stop();
    }
  });
});
