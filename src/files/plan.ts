import {
  fieldError,
  optBool,
  optTable,
  optTableArray,
  readToml,
  reqString,
  type TomlTable,
  toToml,
  writeFileAtomic,
} from './toml.ts';

/** A provider of a plan entry (platform.md "plan.toml" `[[entries.providers]]`). */
export interface PlanProvider {
  readonly id: string;
  readonly version: string;
  /** True when the provider is an image extension (experimental); defaults to false. */
  readonly extension?: boolean;
}

/** A dependency requirement (`[[entries.requires]]`; buildpack.md "Build Plan (TOML)"). */
export interface PlanRequire {
  readonly name: string;
  readonly metadata?: TomlTable;
}

/** One resolved entry: every require of one dependency name and the buildpacks that provide it. */
export interface PlanEntry {
  readonly providers: readonly PlanProvider[];
  readonly requires: readonly PlanRequire[];
}

/** plan.toml (platform.md "plan.toml"). */
export interface Plan {
  readonly entries: readonly PlanEntry[];
}

/** Parses plan.toml content; an empty document is an empty plan. */
export function parsePlan(t: TomlTable, file: string): Plan {
  return {
    entries: optTableArray(t, 'entries', file).map((e, i) => {
      const p = `entries[${i}]`;
      return {
        providers: optTableArray(e, 'providers', file, `${p}.providers`).map((pr, j) => {
          const q = `${p}.providers[${j}]`;
          const extension = optBool(pr, 'extension', file, `${q}.extension`);
          return {
            id: reqString(pr, 'id', file, `${q}.id`),
            version: optString0(pr, 'version', file, `${q}.version`),
            ...(extension ? { extension: true } : {}),
          };
        }),
        requires: optTableArray(e, 'requires', file, `${p}.requires`).map((r, j) =>
          parseRequire(r, file, `${p}.requires[${j}]`),
        ),
      };
    }),
  };
}

function optString0(t: TomlTable, key: string, file: string, path: string): string {
  const v = t[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw fieldError(file, path, 'expected a string');
  return v;
}

/** Parses one `{ name, metadata }` require table. */
export function parseRequire(r: TomlTable, file: string, path: string): PlanRequire {
  const metadata = optTable(r, 'metadata', file, `${path}.metadata`);
  return {
    name: reqString(r, 'name', file, `${path}.name`),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/** Reads plan.toml; a missing file is an error (`failed to read plan file`), exit 1. */
export async function readPlan(file: string): Promise<Plan> {
  const t = await readToml(file, { what: 'plan file', hint: 'run the detector first or pass -plan' });
  return parsePlan(t, file);
}

/**
 * Serializes a plan. Providers carry only id, version (and `extension = true` for extensions);
 * an empty plan is an empty document, as the reference writes a 0-byte file (docs/reference-behaviour.md §0.10).
 */
export function planToTomlText(p: Plan): string {
  if (p.entries.length === 0) return '';
  return toToml({
    entries: p.entries.map((e) => ({
      providers: e.providers.map((pr) => ({
        id: pr.id,
        version: pr.version,
        ...(pr.extension ? { extension: true } : {}),
      })),
      requires: e.requires.map((r) => ({ name: r.name, metadata: r.metadata })),
    })),
  });
}

/** Writes plan.toml atomically. */
export async function writePlan(file: string, p: Plan): Promise<void> {
  await writeFileAtomic(file, planToTomlText(p));
}
