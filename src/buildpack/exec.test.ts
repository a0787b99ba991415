// Running buildpack executables: explicit env, cwd, args, uid/gid; S-7 (root refusal).
import assert from 'node:assert/strict';
import { chmod, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { memoryLogger } from '../platform/log.ts';
import { assertNotRootOrUser, execBuildpack } from './exec.ts';

describe('execBuildpack', () => {
  let dir: string;
  let script: string;
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'exec-test-')));
    script = join(dir, 'run');
    await writeFile(
      script,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      '#!/bin/sh\necho "out $1 $2 $(pwd) FOO=$FOO HOME=${HOME-unset} id=$(id -u)"\necho "err" >&2\nexit ${CODE:-0}\n',
    );
    await chmod(script, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('streams stdout/stderr to the logger with only the given env, cwd and args', async () => {
    const log = memoryLogger();
    const uid = process.getuid?.() ?? 0;
    const r = await execBuildpack(
      {
        cmd: script,
        args: ['a', 'b'],
        env: { FOO: 'bar', PATH: '/usr/bin:/bin' },
        cwd: dir,
        uid,
        gid: process.getgid?.() ?? 0,
      },
      log,
    );
    assert.deepEqual(r, { code: 0, output: '' });
    assert.deepEqual(log.lines, [`out: out a b ${dir} FOO=bar HOME=unset id=${uid}\n`, 'err: err\n']);
  });

  it('captures combined output and resolves with the exit status', async () => {
    const log = memoryLogger();
    const r = await execBuildpack(
      { cmd: script, args: [], env: { CODE: '42', PATH: '/usr/bin:/bin' }, cwd: dir, output: 'capture' },
      log,
    );
    assert.equal(r.code, 42);
    assert.match(r.output, /^out {2}.*\nerr\n$/);
    assert.deepEqual(log.lines, []);
  });

  it('reports an executable that cannot be started as code -1 with the reason', async () => {
    const missing = await execBuildpack(
      { cmd: join(dir, 'nope'), args: [], env: {}, cwd: dir },
      memoryLogger(),
    );
    assert.equal(missing.code, -1);
    assert.match(missing.error ?? '', /nope: no such file or directory/);
    await writeFile(join(dir, 'plain'), 'echo hi\n');
    const notExec = await execBuildpack(
      { cmd: join(dir, 'plain'), args: [], env: {}, cwd: dir },
      memoryLogger(),
    );
    assert.equal(notExec.code, -1);
    assert.match(notExec.error ?? '', /permission denied/);
  });

  it('reports death by signal', async () => {
    await writeFile(join(dir, 'die'), '#!/bin/sh\nkill -9 $$\n');
    await chmod(join(dir, 'die'), 0o755);
    const r = await execBuildpack({ cmd: join(dir, 'die'), args: [], env: {}, cwd: dir }, memoryLogger());
    assert.equal(r.code, -1);
    assert.equal(r.signal, 'SIGKILL');
  });
});

describe('assertNotRootOrUser (S-7)', () => {
  const cases: { uid?: number; gid?: number; current: number; throws: boolean }[] = [
    { current: 0, throws: true },
    { uid: 1000, current: 0, throws: true },
    { uid: 1000, gid: 1000, current: 0, throws: false },
    { uid: 0, gid: 0, current: 0, throws: false },
    { current: 1000, throws: false },
  ];
  for (const c of cases) {
    it(`uid=${c.uid} gid=${c.gid} as ${c.current}: ${c.throws ? 'refuses' : 'allows'}`, () => {
      const run = () => assertNotRootOrUser(c.uid, c.gid, c.current);
      if (c.throws) {
        assert.throws(
          run,
          (e) => isLifecycleError(e) && e.exitCode === 1 && /refusing to run as root/.test(e.message),
        );
      } else assert.doesNotThrow(run);
    });
  }
});

describe('execBuildpack capture limit', () => {
  it('keeps the end of a runaway output', async () => {
    const r = await execBuildpack(
      {
        cmd: '/bin/sh',
        args: ['-c', 'i=0; while [ $i -lt 100000 ]; do echo "line $i"; i=$((i+1)); done'],
        env: { PATH: '/usr/bin:/bin' },
        cwd: '/',
        output: 'capture',
        captureLimit: 1024,
      },
      memoryLogger(),
    );
    assert.equal(r.code, 0);
    assert.match(r.output, /^\[earlier output truncated\]\n/);
    assert.match(r.output, /line 99999\n$/);
    assert.ok(r.output.length <= 1024 + 65536 + 64, String(r.output.length));
  });
});
