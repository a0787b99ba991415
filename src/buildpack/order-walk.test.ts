// Order resolution: buildpack.md "Order Resolution" (composite expansion, optional entries) and
// docs/reference-behaviour.md §2 "Order and group expansion algorithm". The walk is given in-memory
// descriptors and scripted detect outcomes; real buildpacks are exercised in test/detector/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildpackDescriptor, Order } from '../files/index.ts';
import { isLifecycleError, LifecycleError } from '../platform/errors.ts';
import { memoryLogger } from '../platform/log.ts';
import type { DetectRun } from './detect.ts';
import type { BuildpackModule, ExtensionModule } from './lookup.ts';
import { OrderWalk } from './order-walk.ts';

/** `A@v1` or `A@v1?` (optional) → an order ref. */
function ref(s: string) {
  const optional = s.endsWith('?');
  const [id = '', version = ''] = (optional ? s.slice(0, -1) : s).split('@');
  return { id, version, optional };
}

function order(groups: string[][]): Order {
  return groups.map((g) => ({ group: g.map(ref) }));
}

function mod(idVersion: string, sub?: string[][]): BuildpackModule {
  const [id = '', version = ''] = idVersion.split('@');
  const descriptor: BuildpackDescriptor = {
    api: '0.10',
    buildpack: { id, version, clearEnv: false, sbomFormats: [], licenses: [] },
    order: sub ? order(sub) : [],
    targets: [],
    stacks: [],
    dir: `/bp/${id}/${version}`,
  };
  return { kind: 'buildpack', descriptor, api: { major: 0, minor: 10 }, hasBinBuild: true };
}

function ext(idVersion: string): ExtensionModule {
  const [id = '', version = ''] = idVersion.split('@');
  return {
    kind: 'extension',
    descriptor: {
      api: '0.10',
      extension: { id, version, licenses: [] },
      targets: [],
      dir: `/ext/${id}/${version}`,
    },
    api: { major: 0, minor: 10 },
  };
}

/** A walk over `mods` where every detect returns `code` (default fail) and each trial is recorded. */
function setup(
  mods: BuildpackModule[],
  code: (id: string) => number = () => 100,
  mismatch?: (id: string) => boolean,
) {
  const byKey = new Map(
    mods.map((m) => [`${m.descriptor.buildpack.id}@${m.descriptor.buildpack.version}`, m]),
  );
  const detected: string[] = [];
  const log = memoryLogger('debug');
  const walk = new OrderWalk({
    lookup: async (id, version) => {
      const m = byKey.get(`${id}@${version}`);
      if (!m)
        throw new LifecycleError(
          'ERR_BUILDPACK_NOT_FOUND',
          'failed',
          `buildpack '${id}@${version}' not found`,
        );
      return m;
    },
    lookupExtension: async (id, version) => ext(`${id}@${version}`),
    detect: async (m): Promise<DetectRun> => {
      const info = m.kind === 'buildpack' ? m.descriptor.buildpack : m.descriptor.extension;
      detected.push(`${m.kind === 'extension' ? 'ext:' : ''}${info.id}@${info.version}`);
      return {
        code: code(info.id),
        output: '',
        plan: { provides: [], requires: [], or: [] },
      };
    },
    targetMismatch: (m) => (mismatch?.(m.descriptor.buildpack.id) ? 'unable to satisfy target' : undefined),
    log,
  });
  /** The trials seen, from the resolver's per-member result lines. */
  const trials = () => {
    const out: string[][] = [];
    for (const l of log.lines) {
      if (l === 'debug: ======== Results ========') out.push([]);
      const m = /^(?:debug|info): (?:pass|fail|skip|err): +(\S+@\S+)$/.exec(l);
      if (m?.[1]) out[out.length - 1]?.push(m[1]);
    }
    return out.map((t) => t.join(','));
  };
  return { walk, detected, log, trials };
}

describe('OrderWalk (buildpack.md "Order Resolution")', () => {
  it('expands composites depth first, dedupes by ID, and adds a trial without an optional composite', async () => {
    // order [E], E = [A, F, B], F = [[C], [G?], [D]], G = [[A@v2, B@v2], [C@v2, D@v2]]
    const mods = [
      mod('E@v1', [['A@v1', 'F@v1', 'B@v1']]),
      mod('F@v1', [['C@v1'], ['G@v1?'], ['D@v1']]),
      mod('G@v1', [
        ['A@v2', 'B@v2'],
        ['C@v2', 'D@v2'],
      ]),
      ...['A@v1', 'B@v1', 'C@v1', 'D@v1', 'A@v2', 'B@v2', 'C@v2', 'D@v2'].map((s) => mod(s)),
    ];
    const { walk, detected, trials } = setup(mods);
    const res = await walk.walk(order([['E@v1']]));
    assert.deepEqual(res, { ok: false, failure: 'failed' });
    assert.deepEqual(trials(), [
      'A@v1,C@v1,B@v1',
      'A@v1,B@v2',
      'A@v1,C@v2,D@v2,B@v1',
      'A@v1,B@v1',
      'A@v1,D@v1,B@v1',
    ]);
    // Each id@version detects once across all trials.
    assert.deepEqual([...detected].sort(), ['A@v1', 'B@v1', 'B@v2', 'C@v1', 'C@v2', 'D@v1', 'D@v2']);
  });

  it('selects the first group that passes', async () => {
    const { walk, detected } = setup([mod('A@v1'), mod('B@v1'), mod('C@v1')], (id) => (id === 'A' ? 100 : 0));
    const res = await walk.walk(order([['A@v1'], ['B@v1'], ['C@v1']]));
    assert.ok(res.ok);
    assert.deepEqual(
      res.group.map((m) => m.id),
      ['B'],
    );
    assert.deepEqual(detected, ['A@v1', 'B@v1']);
  });

  it('reports a buildpack error when any group errored and none passed', async () => {
    const { walk } = setup([mod('A@v1'), mod('B@v1')], (id) => (id === 'A' ? 1 : 100));
    assert.deepEqual(await walk.walk(order([['A@v1'], ['B@v1']])), { ok: false, failure: 'errored' });
  });

  it('records a required target mismatch as an error without running detect', async () => {
    const { walk, detected, log } = setup(
      [mod('A@v1')],
      () => 0,
      () => true,
    );
    assert.deepEqual(await walk.walk(order([['A@v1']])), { ok: false, failure: 'errored' });
    assert.deepEqual(detected, []);
    assert.ok(log.lines.includes('info: unable to satisfy target'));
  });

  it('still runs an optional buildpack whose target does not match', async () => {
    const { walk, detected } = setup(
      [mod('A@v1'), mod('B@v1')],
      () => 0,
      (id) => id === 'A',
    );
    const res = await walk.walk(order([['A@v1?', 'B@v1']]));
    assert.ok(res.ok);
    assert.deepEqual([...detected].sort(), ['A@v1', 'B@v1']);
  });

  it('a buildpack missing inside a composite is a detect error (exit 22)', async () => {
    const { walk } = setup([mod('M@v1', [['X@v1']])]);
    await assert.rejects(
      () => walk.walk(order([['M@v1']])),
      (e) => isLifecycleError(e) && e.exitCode === 22 && /X@v1' not found/.test(e.message),
    );
  });

  it('passes optional through: an optional failing element still lets the group pass', async () => {
    const { walk } = setup([mod('A@v1'), mod('B@v1')], (id) => (id === 'A' ? 0 : 100));
    const res = await walk.walk(order([['A@v1', 'B@v1?']]));
    assert.ok(res.ok);
    assert.deepEqual(
      res.group.map((m) => m.id),
      ['A'],
    );
  });

  it('prepends the extensions order as an optional element to every group (buildpack.md "Order Resolution")', async () => {
    const { walk, detected, log } = setup([mod('A@v1'), mod('B@v1')]);
    const res = await walk.walk(order([['A@v1'], ['B@v1']]), order([['A@v1'], ['B@v1']]));
    assert.deepEqual(res, { ok: false, failure: 'failed' });
    // Extensions are optional (skip), buildpacks required (fail); IDs are de-duplicated per kind.
    const trials: string[] = [];
    for (const l of log.lines) {
      if (l === 'debug: ======== Results ========') trials.push('');
      const m = /^debug: (?:pass|fail|skip): (\S+)$/.exec(l);
      if (m?.[1] && trials.length > 0)
        trials[trials.length - 1] +=
          `${trials[trials.length - 1] ? ',' : ''}${l.startsWith('debug: skip') ? 'ext' : ''}${m[1]}`;
    }
    assert.deepEqual(trials, [
      'extA@v1,A@v1',
      'extB@v1,A@v1',
      'A@v1',
      'extA@v1,B@v1',
      'extB@v1,B@v1',
      'B@v1',
    ]);
    assert.deepEqual([...detected].sort(), ['A@v1', 'B@v1', 'ext:A@v1', 'ext:B@v1']);
  });

  it('stops a meta-buildpack whose order contains itself with a clear error (exit 22)', async () => {
    const { walk } = setup([mod('M@v1', [['N@v1']]), mod('N@v1', [['M@v1']])]);
    await assert.rejects(
      () => walk.walk(order([['M@v1']])),
      (e) =>
        isLifecycleError(e) &&
        e.exitCode === 22 &&
        /does a meta-buildpack's order contain itself/.test(e.message),
    );
  });
});
