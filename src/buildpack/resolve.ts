import type { PlanEntry, PlanProvider, PlanRequire } from '../files/index.ts';
import type { Logger } from '../platform/index.ts';
import { DETECT_ERROR, DETECT_FAIL, DETECT_PASS, type DetectRun } from './detect.ts';
import type { PlanSections } from './detect-plan.ts';

/** An element of a group trial: a component buildpack or an image extension, with its run. */
export interface GroupMember {
  readonly id: string;
  readonly version: string;
  readonly api: string;
  readonly homepage?: string;
  readonly optional: boolean;
  readonly extension: boolean;
}

/** A member and the outcome of its bin/detect. */
export interface MemberRun {
  readonly member: GroupMember;
  readonly run: DetectRun;
}

/** Why a group did not resolve: every failure was ordinary (`failed`), or something errored. */
export type ResolveFailure = 'failed' | 'errored';

/** The outcome of resolving one group trial. */
export type ResolveOutcome =
  | { readonly ok: true; readonly group: readonly GroupMember[]; readonly entries: readonly PlanEntry[] }
  | { readonly ok: false; readonly failure: ResolveFailure };

/** `id@version`, as logs show an element. */
export function memberName(m: { id: string; version: string }): string {
  return `${m.id}@${m.version}`;
}

/** One option of a member: one potential Build Plan (buildpack.md "Detection"). */
interface Option {
  readonly member: GroupMember;
  readonly sections: PlanSections;
}

/**
 * The options of a passing member: its main sections then each `[[or]]` alternative, tried left to
 * right. Only the last option keeps the member's `optional` flag, so an unmet earlier option moves
 * on to the next alternative rather than dropping the member (docs/reference-behaviour.md §2 "or").
 */
function optionsOf(r: MemberRun): Option[] {
  const all = [r.run.plan, ...r.run.plan.or];
  return all.map((sections, i) => ({
    member: { ...r.member, optional: r.member.optional && i === all.length - 1 },
    sections,
  }));
}

interface Dep {
  providers: GroupMember[];
  requires: PlanRequire[];
  /** Requires seen before any provider: unmet. */
  early: GroupMember[];
  /** Provides not (yet) consumed by a require: unused. */
  extra: GroupMember[];
}

/**
 * Matches provides to requires in group order (buildpack.md "Detection"): a provide is pending until
 * a require of the same name by the same or a later member consumes it. Names keep first-seen order
 * so the plan is deterministic.
 */
function dependencies(trial: readonly Option[]): Map<string, Dep> {
  const deps = new Map<string, Dep>();
  const dep = (name: string) => {
    let d = deps.get(name);
    if (d === undefined) {
      d = { providers: [], requires: [], early: [], extra: [] };
      deps.set(name, d);
    }
    return d;
  };
  for (const o of trial) {
    // Within one member, its provides count before its requires.
    for (const p of o.sections.provides) dep(p.name).extra.push(o.member);
    for (const r of o.sections.requires) {
      const d = dep(r.name);
      d.providers.push(...d.extra);
      d.extra = [];
      if (d.providers.length === 0) d.early.push(o.member);
      else
        d.requires.push(r.metadata === undefined ? { name: r.name } : { name: r.name, metadata: r.metadata });
    }
  }
  return deps;
}

type TrialResult = { ok: true; trial: Option[]; deps: Map<string, Dep> } | { ok: false };

/**
 * The first member breaking a rule, in the reference's order: unmet requires first, then unused
 * provides, each by dependency name in first-seen order.
 */
function firstViolation(
  deps: Map<string, Dep>,
): { member: GroupMember; rule: string; name: string } | undefined {
  for (const [rule, pick] of [
    ['requires', (d: Dep) => d.early],
    ['provides unused', (d: Dep) => d.extra],
  ] as const) {
    for (const [name, d] of deps) {
      const member = pick(d)[0];
      if (member !== undefined) return { member, rule, name };
    }
  }
  return undefined;
}

/**
 * Runs one trial: unmet requires and unused provides fail it when the member is required and
 * drop the member (then retry) when it is optional (buildpack.md "Detection").
 */
function runTrial(n: number, start: readonly Option[], log: Logger): TrialResult {
  log.debug(`Resolving plan... (try #${n})`);
  let trial = [...start];
  for (;;) {
    const deps = dependencies(trial);
    const v = firstViolation(deps);
    if (v === undefined) {
      if (trial.length === 0) {
        log.debug('fail: no viable buildpacks in group');
        return { ok: false };
      }
      return { ok: true, trial, deps };
    }
    const { member, rule, name } = v;
    log.debug(`${member.optional ? 'skip' : 'fail'}: ${memberName(member)} ${rule} ${name}`);
    if (!member.optional) return { ok: false };
    trial = trial.filter((o) => !(o.member.id === member.id && o.member.extension === member.extension));
  }
}

/**
 * Resolves a group whose members have all run bin/detect (buildpack.md "Detection", "Build Plan"):
 * logs each run's output and result, requires at least one passing buildpack, then tries every
 * combination of `[[or]]` alternatives depth first until one trial resolves.
 */
export function resolveGroup(runs: readonly MemberRun[], log: Logger): ResolveOutcome {
  for (const { member, run } of runs) {
    const out = run.code === DETECT_PASS || run.code === DETECT_FAIL ? log.debug : log.info;
    if (run.output.length > 0) {
      out(`======== Output: ${memberName(member)} ========`);
      out(run.output.replace(/\n$/, ''));
    }
    if (run.error !== undefined) {
      out(`======== Error: ${memberName(member)} ========`);
      out(run.error);
    }
  }
  log.debug('======== Results ========');
  const passed: MemberRun[] = [];
  let detected = true;
  let anyBuildpack = false;
  let errored = false;
  for (const r of runs) {
    const name = memberName(r.member);
    if (r.run.code === DETECT_PASS) {
      log.debug(`pass: ${name}`);
      passed.push(r);
      if (!r.member.extension) anyBuildpack = true;
      continue;
    }
    if (r.run.code === DETECT_FAIL) log.debug(`${r.member.optional ? 'skip' : 'fail'}: ${name}`);
    else {
      log.info(r.run.code === DETECT_ERROR ? `err:  ${name}` : `err:  ${name} (${r.run.code})`);
      errored = true;
    }
    detected &&= r.member.optional;
  }
  if (!detected) return { ok: false, failure: errored ? 'errored' : 'failed' };
  if (!anyBuildpack) {
    log.debug('fail: no viable buildpacks in group');
    return { ok: false, failure: 'failed' };
  }

  let n = 0;
  const tryFrom = (i: number, prefix: Option[]): TrialResult => {
    const r = passed[i];
    if (r === undefined) return runTrial(++n, prefix, log);
    for (const o of optionsOf(r)) {
      const res = tryFrom(i + 1, [...prefix, o]);
      if (res.ok) return res;
    }
    return { ok: false };
  };
  const res = tryFrom(0, []);
  if (!res.ok) {
    log.debug('check the order: buildpacks that provide a dependency must come before those that require it');
    return { ok: false, failure: 'failed' };
  }

  const group = res.trial.map((o) => o.member);
  if (group.length !== runs.length) log.info(`${group.length} of ${runs.length} buildpacks participating`);
  const width = Math.max(...group.map((m) => m.id.length));
  for (const m of group) log.info(`${m.id.padEnd(width)} ${m.version}`);
  const entries: PlanEntry[] = [];
  for (const d of res.deps.values()) {
    if (d.providers.length === 0) continue;
    entries.push({ providers: d.providers.map(toProvider), requires: d.requires });
  }
  return { ok: true, group, entries };
}

function toProvider(m: GroupMember): PlanProvider {
  return m.extension ? { id: m.id, version: m.version, extension: true } : { id: m.id, version: m.version };
}
