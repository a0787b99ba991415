// Build plan resolution: buildpack.md "Phase #1: Detection" > "Process" (trials, provides/requires
// rules, optional buildpacks) and "Build Plan (TOML)"; docs/reference-behaviour.md §2 "Build plan resolution".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../platform/log.ts';
import type { DetectRun } from './detect.ts';
import type { PlanSections } from './detect-plan.ts';
import { type MemberRun, resolveGroup } from './resolve.ts';

/** A member spec: `A` required, `A?` optional; code defaults to 0 (pass). */
interface Spec {
  readonly id: string;
  readonly provides?: string[];
  readonly requires?: string[];
  readonly or?: { provides?: string[]; requires?: string[] }[];
  readonly code?: number;
}

function sections(p: { provides?: string[]; requires?: string[] }): PlanSections {
  return {
    provides: (p.provides ?? []).map((name) => ({ name })),
    requires: (p.requires ?? []).map((name) => ({ name, metadata: { by: 'x' } })),
  };
}

function runs(specs: readonly Spec[]): MemberRun[] {
  return specs.map((s) => {
    const optional = s.id.endsWith('?');
    const id = optional ? s.id.slice(0, -1) : s.id;
    const run: DetectRun = {
      code: s.code ?? 0,
      output: '',
      plan: { ...sections(s), or: (s.or ?? []).map(sections) },
    };
    return { member: { id, version: 'v1', api: '0.10', optional, extension: false }, run };
  });
}

interface Case {
  readonly name: string;
  readonly group: readonly Spec[];
  /** Participating ids, or the failure kind. */
  readonly want: string[] | 'failed' | 'errored';
  /** dependency name → provider ids (plan entries, in order). */
  readonly plan?: Record<string, string[]>;
  readonly log?: string;
}

const cases: Case[] = [
  {
    name: 'a require met by an earlier provide',
    group: [
      { id: 'A', provides: ['x'] },
      { id: 'B', requires: ['x'] },
    ],
    want: ['A', 'B'],
    plan: { x: ['A'] },
  },
  {
    name: 'a buildpack may provide and require the same dependency',
    group: [{ id: 'A', provides: ['x'], requires: ['x'] }],
    want: ['A'],
    plan: { x: ['A'] },
  },
  {
    name: 'a required buildpack requiring what no earlier one provides fails the trial',
    group: [
      { id: 'B', requires: ['x'] },
      { id: 'A', provides: ['x'] },
    ],
    want: 'failed',
    log: 'debug: fail: B@v1 requires x',
  },
  {
    name: 'a required buildpack providing what nobody later requires fails the trial',
    group: [{ id: 'A' }, { id: 'B', provides: ['x'] }],
    want: 'failed',
    log: 'debug: fail: B@v1 provides unused x',
  },
  {
    name: 'an optional buildpack with an unmet require is excluded with its provides',
    group: [{ id: 'A' }, { id: 'B?', provides: ['y'], requires: ['x'] }],
    want: ['A'],
    plan: {},
    log: 'debug: skip: B@v1 requires x',
  },
  {
    name: 'an optional buildpack with an unused provide is excluded',
    group: [{ id: 'A' }, { id: 'C?', provides: ['x'] }],
    want: ['A'],
    log: 'debug: skip: C@v1 provides unused x',
  },
  {
    name: 'dropping an optional provider makes a required consumer fail',
    group: [
      { id: 'P?', provides: ['x'], requires: ['nothing'] },
      { id: 'B', requires: ['x'] },
    ],
    want: 'failed',
  },
  {
    name: 'multiple buildpacks may provide and require the same dependency (reference example)',
    group: [
      { id: 'A', provides: ['dep1', 'dep2'], requires: ['dep2'] },
      { id: 'C', provides: ['dep1', 'dep2'] },
      { id: 'D', provides: ['dep2'], requires: ['dep1', 'dep2'] },
      { id: 'B', requires: ['dep1', 'dep2'] },
    ],
    want: ['A', 'C', 'D', 'B'],
    plan: { dep2: ['A', 'C', 'D'], dep1: ['A', 'C'] },
  },
  {
    name: 'a failing required buildpack fails the group',
    group: [{ id: 'A' }, { id: 'B', code: 100 }],
    want: 'failed',
    log: 'debug: fail: B@v1',
  },
  {
    name: 'a failing optional buildpack is skipped',
    group: [{ id: 'A' }, { id: 'B?', code: 100 }],
    want: ['A'],
    log: 'debug: skip: B@v1',
  },
  {
    name: 'all optional buildpacks failing is a failed detection',
    group: [
      { id: 'A?', code: 100 },
      { id: 'B?', code: 100 },
    ],
    want: 'failed',
  },
  {
    name: 'an empty group fails',
    group: [],
    want: 'failed',
    log: 'debug: fail: no viable buildpacks in group',
  },
  {
    name: 'a required buildpack erroring is a buildpack error (exit 21)',
    group: [{ id: 'A' }, { id: 'B', code: 127 }],
    want: 'errored',
    log: 'info: err:  B@v1 (127)',
  },
  {
    name: 'a lifecycle-side error (code -1) is logged without a status',
    group: [{ id: 'B', code: -1 }],
    want: 'errored',
    log: 'info: err:  B@v1',
  },
  {
    name: 'an erroring optional buildpack does not fail the group',
    group: [{ id: 'A' }, { id: 'B?', code: 1 }],
    want: ['A'],
  },
  {
    name: '[[or]]: the next alternative is tried when the main sections fail',
    group: [
      { id: 'A', provides: ['unused'], or: [{ provides: ['x'] }] },
      { id: 'B', requires: ['x'] },
    ],
    want: ['A', 'B'],
    plan: { x: ['A'] },
    log: 'debug: Resolving plan... (try #2)',
  },
  {
    name: '[[or]]: only the last alternative keeps optional, so earlier ones are retried, not skipped',
    group: [
      { id: 'A?', provides: ['unused'], or: [{ provides: ['x'] }] },
      { id: 'B', requires: ['x'] },
    ],
    want: ['A', 'B'],
    plan: { x: ['A'] },
  },
  {
    name: '[[or]]: trials run depth first, first member outermost (4 members: success at try #16)',
    group: ['A', 'B', 'C', 'D'].map((id) => ({ id, provides: [`${id}-unused`], or: [{}] })),
    want: ['A', 'B', 'C', 'D'],
    log: 'debug: Resolving plan... (try #16)',
  },
];

describe('resolveGroup (buildpack.md "Detection" > "Process")', () => {
  for (const c of cases) {
    it(c.name, () => {
      const log = memoryLogger('debug');
      const r = resolveGroup(runs(c.group), log);
      if (typeof c.want === 'string') {
        assert.equal(r.ok, false, log.lines.join('\n'));
        if (!r.ok) assert.equal(r.failure, c.want);
      } else {
        assert.ok(r.ok, log.lines.join('\n'));
        assert.deepEqual(
          r.group.map((m) => m.id),
          c.want,
        );
        if (c.plan) {
          const got: Record<string, string[]> = {};
          for (const e of r.entries) {
            const name = e.requires[0]?.name ?? '?';
            got[name] = e.providers.map((p) => p.id);
          }
          assert.deepEqual(got, c.plan);
        }
      }
      if (c.log) assert.ok(log.lines.includes(c.log), `missing "${c.log}" in:\n${log.lines.join('\n')}`);
    });
  }

  it('requires of a name are those after its first provider; providers carry only id and version', () => {
    const r = resolveGroup(
      runs([
        { id: 'A', provides: ['dep1', 'dep2'], requires: ['dep2'] },
        { id: 'C', provides: ['dep1', 'dep2'] },
        { id: 'D', provides: ['dep2'], requires: ['dep1', 'dep2'] },
        { id: 'B', requires: ['dep1', 'dep2'] },
      ]),
      memoryLogger(),
    );
    assert.ok(r.ok);
    const byName = new Map(r.entries.map((e) => [e.requires[0]?.name, e]));
    assert.equal(byName.get('dep1')?.requires.length, 2);
    assert.equal(byName.get('dep2')?.requires.length, 3);
    assert.deepEqual(byName.get('dep1')?.providers, [
      { id: 'A', version: 'v1' },
      { id: 'C', version: 'v1' },
    ]);
    assert.deepEqual(byName.get('dep1')?.requires[0], { name: 'dep1', metadata: { by: 'x' } });
  });

  it('logs "N of M buildpacks participating" and the padded id/version list', () => {
    const log = memoryLogger('info');
    const r = resolveGroup(
      runs([{ id: 'short' }, { id: 'much-longer?', code: 100 }, { id: 'mid-len' }]),
      log,
    );
    assert.ok(r.ok);
    assert.deepEqual(log.lines, [
      'info: 2 of 3 buildpacks participating',
      'info: short   v1',
      'info: mid-len v1',
    ]);
  });

  it('shows detect output at debug for pass/fail and at info for errors', () => {
    const log = memoryLogger('debug');
    const rs = runs([{ id: 'A' }, { id: 'B?', code: 3 }]);
    const withOutput = rs.map((r) => ({ ...r, run: { ...r.run, output: `${r.member.id} says hi\n` } }));
    resolveGroup(withOutput, log);
    assert.ok(log.lines.includes('debug: ======== Output: A@v1 ========'));
    assert.ok(log.lines.includes('debug: A says hi'));
    assert.ok(log.lines.includes('info: ======== Output: B@v1 ========'));
    assert.ok(log.lines.includes('info: B says hi'));
  });
});
