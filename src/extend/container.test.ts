import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inContainer } from './container.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extend-container-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('inContainer (the extender refuses elsewhere)', () => {
  it('tells a host from a container', async () => {
    const hostCgroup = join(dir, 'cgroup-host');
    const hostMounts = join(dir, 'mountinfo-host');
    await writeFile(hostCgroup, '0::/init.scope\n');
    await writeFile(hostMounts, '26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n');
    const host = {
      env: { container: '' },
      markers: [join(dir, 'none')],
      cgroup: hostCgroup,
      runtimeFiles: [join(dir, 'none')],
      mountinfo: hostMounts,
    };
    assert.equal(await inContainer(host), false);
    const cmdline = join(dir, 'cmdline');
    await writeFile(cmdline, '/sbin/init\0');
    assert.equal(await inContainer({ ...host, runtimeFiles: [cmdline] }), false);
    const nspawn = join(dir, 'systemd-container');
    await writeFile(nspawn, 'systemd-nspawn\n');
    assert.equal(await inContainer({ ...host, runtimeFiles: [cmdline, nspawn] }), true);
    assert.equal(await inContainer({ ...host, env: { container: 'unknown-thing' } }), false);
    assert.equal(await inContainer({ ...host, env: { container: 'podman' } }), true);
    assert.equal(await inContainer({ ...host, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }), true);
    await writeFile(join(dir, '.dockerenv'), '');
    assert.equal(await inContainer({ ...host, markers: [join(dir, '.dockerenv')] }), true);
    const cg = join(dir, 'cgroup-docker');
    await writeFile(cg, '12:pids:/docker/0123abcd\n');
    assert.equal(await inContainer({ ...host, cgroup: cg }), true);
    const mi = join(dir, 'mountinfo-overlay');
    await writeFile(mi, '500 400 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/a\n');
    assert.equal(await inContainer({ ...host, mountinfo: mi }), true);
  });
});
