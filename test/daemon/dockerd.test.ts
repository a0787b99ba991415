import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDockerd } from '../support/docker.ts';

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
