import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildpackPlanFor, buildpackPlanToToml, metRequires, removeMet } from './bp-plan.ts';
import type { Plan } from './plan.ts';
import { parseToml } from './toml.ts';

const plan: Plan = {
  entries: [
    {
      providers: [{ id: 'a', version: '1' }],
      requires: [{ name: 'x', metadata: { v: '1' } }, { name: 'x' }],
    },
    {
      providers: [
        { id: 'a', version: '1' },
        { id: 'b', version: '2' },
      ],
      requires: [{ name: 'y' }],
    },
    { providers: [{ id: 'b', version: '9' }], requires: [{ name: 'z' }] },
    { providers: [{ id: 'a', version: '1', extension: true }], requires: [{ name: 'ext' }] },
  ],
};

// buildpack.md "Build" > "Process" and "Unmet Buildpack Plan Entries".
describe('Buildpack Plan', () => {
  const cases: Array<[string, string[]]> = [
    ['a', ['x', 'x', 'y']],
    ['b', ['y', 'z']],
    ['c', []],
  ];
  for (const [id, names] of cases) {
    it(`entries for ${id} (by ID, extension providers excluded)`, () =>
      assert.deepEqual(
        buildpackPlanFor(plan, id).entries.map((e) => e.name),
        names,
      ));
  }
  it('met = plan entries minus unmet', () => {
    assert.deepEqual(metRequires(buildpackPlanFor(plan, 'a'), [{ name: 'y' }]), ['x', 'x']);
  });
  it('met entries are removed for later buildpacks; unmet ones stay for the next provider', () => {
    const after = removeMet(plan, metRequires(buildpackPlanFor(plan, 'a'), [{ name: 'y' }]));
    assert.deepEqual(
      buildpackPlanFor(after, 'b').entries.map((e) => e.name),
      ['y', 'z'],
    );
    const after2 = removeMet(plan, metRequires(buildpackPlanFor(plan, 'a'), []));
    assert.deepEqual(
      buildpackPlanFor(after2, 'b').entries.map((e) => e.name),
      ['z'],
    );
  });
  it('serializes [[entries]] name + [entries.metadata]', () => {
    const t = parseToml(buildpackPlanToToml(buildpackPlanFor(plan, 'a')), 'p');
    assert.deepEqual(JSON.parse(JSON.stringify(t)), {
      entries: [{ name: 'x', metadata: { v: '1' } }, { name: 'x' }, { name: 'y' }],
    });
    assert.equal(buildpackPlanToToml({ entries: [] }), 'entries = []\n');
  });
});
