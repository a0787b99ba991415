import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  currentOwner,
  type Owner,
  ownerToken,
  parseOwnerToken,
  processStart,
  provablyGone,
} from './owner.ts';

const me: Owner = { pid: 100, start: 5000, pidns: 4026531836, boot: 'abcdef012345', host: 'h1', nonce: 'aa' };

describe('cache owner tokens (D-231)', () => {
  it('round-trips through a file-name token', () => {
    assert.deepEqual(parseOwnerToken(ownerToken(me)), me);
    assert.deepEqual(parseOwnerToken(ownerToken({ ...me, boot: '', host: 'a.b-c' })), {
      ...me,
      boot: '',
      host: 'a.b-c',
    });
    for (const bad of ['', 'staging', '1-2-3', '1-2-3-zz-aa-h', '../x'])
      assert.equal(parseOwnerToken(bad), undefined);
  });

  const table: Array<[string, Partial<Owner>, number | undefined, boolean]> = [
    ['a dead PID on this host, boot and namespace', { pid: 7, start: 10 }, undefined, true],
    ['a reused PID (other start time)', { pid: 7, start: 10 }, 99, true],
    ['a live PID with the same start time', { pid: 7, start: 10 }, 10, false],
    ['another host', { pid: 7, host: 'h2' }, undefined, false],
    ['another boot', { pid: 7, boot: '111111111111' }, undefined, false],
    ['an unknown boot', { pid: 7, boot: '' }, undefined, false],
    ['another PID namespace (another container)', { pid: 7, pidns: 1 }, undefined, false],
    ['an unknown namespace', { pid: 7, pidns: 0 }, undefined, false],
    ['this very process', { nonce: 'bb' }, 5000, false],
    ['a live PID whose start time is unknown', { pid: 7, start: 0 }, 10, false],
  ];
  for (const [what, o, start, gone] of table) {
    it(`${gone ? 'gone' : 'presumed alive'}: ${what}`, () => {
      assert.equal(
        provablyGone({ ...me, ...o }, me, () => start),
        gone,
      );
    });
  }

  it('knows this process and proves an exited child gone', () => {
    const self = currentOwner();
    assert.equal(self.pid, process.pid);
    assert.equal(processStart(process.pid), self.start);
    assert.equal(provablyGone(self, currentOwner()), false);
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    assert.notEqual(self.boot, '', 'Linux has a boot ID');
    assert.notEqual(self.pidns, 0, 'Linux has PID namespaces');
    // Gone even if its PID were reused meanwhile: the start time would differ.
    assert.equal(provablyGone({ ...self, pid: Number(child.stdout) }, self), true);
  });
});
