import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureOwner } from './tree.ts';
import { canWrite } from './user.ts';

const run = promisify(execFile);

describe('canWrite (D-201)', () => {
  const cases: [string, { uid: number; gid: number; mode: number }, boolean][] = [
    ['owner with u+w', { uid: 1000, gid: 0, mode: 0o40755 }, true],
    ['owner without u+w', { uid: 1000, gid: 0, mode: 0o40555 }, false],
    ['group with g+w', { uid: 0, gid: 1001, mode: 0o40775 }, true],
    ['group without g+w', { uid: 0, gid: 1001, mode: 0o40755 }, false],
    ['other user, world-writable', { uid: 0, gid: 0, mode: 0o41777 }, true],
    ['other user, not writable', { uid: 0, gid: 0, mode: 0o40755 }, false],
  ];
  for (const [name, st, want] of cases) it(name, () => assert.equal(canWrite(st, 1000, 1001), want));
});

describe('ensureOwner / becomeBuildUser (as root)', {
  skip: process.getuid?.() !== 0 ? 'needs root' : false,
}, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'priv-'));
    await run('chmod', ['755', dir]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('chowns unwritable trees recursively (links themselves), leaves writable ones and skips missing ones', async () => {
    const layers = join(dir, 'layers');
    await mkdir(join(layers, 'bp', 'layer'), { recursive: true });
    await writeFile(join(layers, 'bp', 'layer', 'f'), 'x');
    await symlink('/etc/passwd', join(layers, 'bp', 'link'));
    const shared = join(dir, 'shared');
    await mkdir(shared, { mode: 0o777 });
    await run('chmod', ['1777', shared]);
    const changed = await ensureOwner(2222, 3333, [layers, shared, join(dir, 'missing'), undefined]);
    assert.deepEqual(changed, [layers]);
    for (const p of [layers, join(layers, 'bp'), join(layers, 'bp', 'layer', 'f')]) {
      const st = await stat(p);
      assert.deepEqual([st.uid, st.gid], [2222, 3333], p);
    }
    const l = await lstat(join(layers, 'bp', 'link'));
    assert.deepEqual([l.uid, l.gid], [2222, 3333]);
    assert.equal((await stat('/etc/passwd')).uid, 0, 'the link target is untouched');
    assert.equal((await stat(shared)).uid, 0);
  });

  it('drops privileges in a child process: files written afterwards belong to the user', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    const script = `
      import { becomeBuildUser } from ${JSON.stringify(join(import.meta.dirname, 'become.ts'))};
      import { nullLogger } from ${JSON.stringify(join(import.meta.dirname, '../../platform/index.ts'))};
      import { writeFileSync } from 'node:fs';
      await becomeBuildUser({ uid: 2222, gid: 3333, dirs: [${JSON.stringify(out)}] }, nullLogger);
      writeFileSync(${JSON.stringify(join(out, 'file'))}, 'x');
      console.log(process.getuid(), process.getgid(), process.getgroups().join(','));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    assert.equal(stdout.trim(), '2222 3333 3333');
    const st = await stat(join(out, 'file'));
    assert.deepEqual([st.uid, st.gid], [2222, 3333]);
  });
});
