import type { Plan, PlanRequire } from './plan.ts';
import { type TomlTable, toToml, writeFileAtomic } from './toml.ts';

/**
 * The Buildpack Plan given to one buildpack's bin/build (buildpack.md "Buildpack Plan (TOML)"):
 * `[[entries]] name` + `[entries.metadata]`.
 */
export interface BuildpackPlan {
  readonly entries: readonly PlanRequire[];
}

/**
 * The entries of plan.toml meant for a buildpack: every require of each entry one of whose
 * providers is this buildpack (matched by ID, version ignored; image-extension providers never
 * match), in plan order (buildpack.md "Build" > "Process"; docs/reference-behaviour.md §5).
 */
export function buildpackPlanFor(plan: Plan, buildpackId: string): BuildpackPlan {
  const entries: PlanRequire[] = [];
  for (const e of plan.entries) {
    if (e.providers.some((p) => p.id === buildpackId && !p.extension)) entries.push(...e.requires);
  }
  return { entries };
}

/** Met entry names: the buildpack's entries minus those it reported `[[unmet]]` (buildpack.md "Unmet Buildpack Plan Entries"). */
export function metRequires(bpPlan: BuildpackPlan, unmet: readonly { name: string }[]): string[] {
  const un = new Set(unmet.map((u) => u.name));
  return bpPlan.entries.map((e) => e.name).filter((n) => !un.has(n));
}

/**
 * plan.toml without the entries a buildpack met: an entry any of whose requires has a met name
 * is removed for every later buildpack (buildpack.md "Unmet Buildpack Plan Entries").
 */
export function removeMet(plan: Plan, met: readonly string[]): Plan {
  const m = new Set(met);
  return { entries: plan.entries.filter((e) => !e.requires.some((r) => m.has(r.name))) };
}

/** The TOML text of a Buildpack Plan (`entries = []` when empty, so buildpacks can always parse it). */
export function buildpackPlanToToml(p: BuildpackPlan): string {
  const doc: TomlTable = {
    entries: p.entries.map((e) =>
      e.metadata === undefined ? { name: e.name } : { name: e.name, metadata: e.metadata },
    ),
  };
  return toToml(doc);
}

/** Writes a Buildpack Plan file atomically. */
export async function writeBuildpackPlan(file: string, p: BuildpackPlan): Promise<void> {
  await writeFileAtomic(file, buildpackPlanToToml(p));
}
