import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LaunchProcess } from '../files/index.ts';
import { addProcesses, emptyProcessSet, listProcesses, type ProcessSet } from './build-processes.ts';

const p = (type: string, def = false): LaunchProcess => ({
  type,
  command: [type],
  args: [],
  direct: true,
  default: def,
});

/** Adds each buildpack's processes in order; returns [types with buildpack, default, warnings]. */
function merge(bps: Array<[string, LaunchProcess[]]>): [string[], string | undefined, string[]] {
  let set: ProcessSet = emptyProcessSet;
  const warnings: string[] = [];
  for (const [bp, procs] of bps) {
    const r = addProcesses(set, procs, bp);
    set = r.set;
    if (r.warning) warnings.push(r.warning);
  }
  return [listProcesses(set).map((x) => `${x.type}@${x.buildpackId}`), set.defaultType, warnings];
}

// buildpack.md "launch.toml": later definitions override earlier ones, the last default wins, and a
// non-default override of the default type leaves no default.
describe('addProcesses', () => {
  const cases: Array<[string, Array<[string, LaunchProcess[]]>, string[], string | undefined, number]> = [
    ['no processes', [], [], undefined, 0],
    ['sorted by type', [['a', [p('z'), p('m')]]], ['m@a', 'z@a'], undefined, 0],
    [
      'later buildpack overrides a type',
      [
        ['a', [p('web')]],
        ['b', [p('web')]],
      ],
      ['web@b'],
      undefined,
      0,
    ],
    [
      'last default wins',
      [
        ['a', [p('web', true)]],
        ['b', [p('worker', true)]],
      ],
      ['web@a', 'worker@b'],
      'worker',
      0,
    ],
    [
      'non-default override clears the default',
      [
        ['a', [p('web', true)]],
        ['b', [p('web')]],
      ],
      ['web@b'],
      undefined,
      1,
    ],
    [
      'other non-default types keep it',
      [
        ['a', [p('web', true)]],
        ['b', [p('task')]],
      ],
      ['task@b', 'web@a'],
      'web',
      0,
    ],
    [
      'a later default restores one',
      [
        ['a', [p('web', true)]],
        ['b', [p('web'), p('x', true)]],
      ],
      ['web@b', 'x@b'],
      'x',
      0,
    ],
    ['web is not implicitly default', [['a', [p('web')]]], ['web@a'], undefined, 0],
  ];
  for (const [name, bps, types, def, warns] of cases) {
    it(name, () => {
      const [t, d, w] = merge(bps);
      assert.deepEqual(t, types);
      assert.equal(d, def);
      assert.equal(w.length, warns);
    });
  }
  it('drops default and records buildpack-id, working-dir and exec-env', () => {
    const r = addProcesses(
      emptyProcessSet,
      [{ ...p('web', true), workingDir: '/w', execEnv: ['test'] }],
      'bp',
    );
    assert.deepEqual(listProcesses(r.set), [
      {
        type: 'web',
        command: ['web'],
        args: [],
        direct: true,
        buildpackId: 'bp',
        workingDir: '/w',
        execEnv: ['test'],
      },
    ]);
  });
});
