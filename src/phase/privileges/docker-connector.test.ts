import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('docker connector (D-202, as root)', {
  skip: process.getuid?.() !== 0 ? 'needs root' : false,
}, () => {
  let dir: string;
  let server: Server;
  const socket = () => join(dir, 'docker.sock');
  before(async () => {
    dir = await mkdtemp('/tmp/conn-');
    await chmod(dir, 0o755);
    server = createServer((c) => c.end('hello from root\n'));
    await new Promise<void>((r) => server.listen(socket(), r));
    await chmod(socket(), 0o600);
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('after the drop the socket is refused directly but reachable through the connector', async () => {
    const script = `
      import { connect } from 'node:net';
      import { becomeBuildUser } from ${JSON.stringify(join(import.meta.dirname, 'become.ts'))};
      import { nullLogger } from ${JSON.stringify(join(import.meta.dirname, '../../platform/index.ts'))};
      const user = await becomeBuildUser({ uid: 65534, gid: 65534, dirs: [], dockerHost: 'unix://${socket()}' }, nullLogger);
      const direct = await new Promise((r) => connect(${JSON.stringify(socket())}).on('error', (e) => r(e.code)).on('connect', () => r('connected')));
      const s = await user.dockerConnect();
      let text = '';
      for await (const c of s) text += c;
      user.close();
      console.log(JSON.stringify({ uid: process.getuid(), direct, text }));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    assert.deepEqual(JSON.parse(stdout), { uid: 65534, direct: 'EACCES', text: 'hello from root\n' });
  });
});
