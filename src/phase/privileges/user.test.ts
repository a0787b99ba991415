import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeCommand } from './docker-connector.ts';
import { applyEnv, findPasswdEntry, switchTarget } from './user.ts';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
# a comment
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
cnb:x:1000:1000:CNB User,,,:/home/cnb:/bin/sh
`;

describe('switchTarget (D-200, D-110)', () => {
  const cases: [string, number | undefined, number | undefined, number, unknown][] = [
    ['not root: never switches', 1000, 1000, 1000, undefined],
    ['root with a build user', 1000, 1001, 0, { uid: 1000, gid: 1001 }],
    ['root with 0:0 keeps root', 0, 0, 0, undefined],
    ['root with uid only: gid 0', 1000, undefined, 0, { uid: 1000, gid: 0 }],
    ['root with nothing keeps root', undefined, undefined, 0, undefined],
  ];
  for (const [name, uid, gid, current, want] of cases)
    it(name, () => assert.deepEqual(switchTarget(uid, gid, current), want));
});

describe('findPasswdEntry (D-203)', () => {
  it('finds the login name and home of a uid', () => {
    assert.deepEqual(findPasswdEntry(PASSWD, 1000), { name: 'cnb', uid: 1000, gid: 1000, home: '/home/cnb' });
    assert.equal(findPasswdEntry(PASSWD, 65534)?.home, '/nonexistent');
  });
  it('undefined for a uid without an entry', () => assert.equal(findPasswdEntry(PASSWD, 4242), undefined));
});

describe('applyEnv', () => {
  it('sets and removes', () =>
    assert.deepEqual(
      applyEnv({ HOME: '/root', USER: 'root', PATH: '/bin' }, { HOME: '/h', USER: undefined }),
      {
        HOME: '/h',
        PATH: '/bin',
      },
    ));
});

describe('nodeCommand (D-202)', () => {
  it('node itself', () => assert.deepEqual(nodeCommand('/usr/bin/node'), ['/usr/bin/node', []]));
  it('the bundled loader of the self-contained lifecycle (D-250)', () =>
    assert.deepEqual(nodeCommand('/cnb/lifecycle/ld-linux-x86-64.so.2'), [
      '/cnb/lifecycle/ld-linux-x86-64.so.2',
      ['--inhibit-cache', '--library-path', '/cnb/lifecycle', '/cnb/lifecycle/node'],
    ]));
});
