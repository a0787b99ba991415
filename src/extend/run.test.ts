import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../platform/index.ts';
import { heredocRun } from './apply.ts';
import { spawnRun } from './run.ts';

const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, home: '/' };
const SHELL = ['/bin/sh', '-c'];

/** Runs `RUN <<EOF` with `body` through the real executor; returns what it printed. */
async function runHeredoc(body: string): Promise<string> {
  const log = memoryLogger('info');
  const argv = heredocRun(SHELL, '<<EOF', {
    name: 'RUN',
    args: '<<EOF',
    line: 3,
    heredocs: [{ name: 'EOF', data: body }],
  });
  await spawnRun(log)({
    argv,
    env: { PATH: '/usr/bin:/bin', X: 'x' },
    cwd: '/',
    user: me,
    text: 'RUN <<EOF',
  });
  return log.lines.map((l) => l.replace(/^out: /, '')).join('');
}

// D-422: a heredoc script never arrives on stdin, so a command in it that reads stdin (cat, read, a
// package manager's prompt) gets end-of-file instead of the rest of the script.
describe('RUN of only a heredoc, executed', () => {
  it('without #!: the shell runs the body; commands reading stdin see end-of-file', async () => {
    assert.equal(await runHeredoc('cat\nread l || echo "eof"\necho "$X"\n'), 'eof\nx\n');
  });

  it('with #!: the interpreter reads the body from /dev/fd/3, stdin empty, nothing expanded', async () => {
    const body = '#!/bin/sh -e\ncat\nread l || echo "eof: $0"\necho \'$X\' "$X"\necho CNB_HEREDOC_SCRIPT\n';
    assert.equal(await runHeredoc(body), 'eof: /dev/fd/3\n$X x\nCNB_HEREDOC_SCRIPT\n');
  });
});
