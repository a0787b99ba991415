import type { ModuleRef, Order } from './order.ts';
import { optBool, optTable, optTableArray, readToml, reqString, type TomlTable } from './toml.ts';

/**
 * system.toml (platform-0.15.md "system.toml"): buildpacks the platform puts at the start (`pre`) and
 * the end (`post`) of every order group before detection.
 */
export interface SystemFile {
  readonly pre: readonly ModuleRef[];
  readonly post: readonly ModuleRef[];
}

function parseList(system: TomlTable | undefined, kind: 'pre' | 'post', file: string): ModuleRef[] {
  const t = system === undefined ? undefined : optTable(system, kind, file, `system.${kind}`);
  if (t === undefined) return [];
  return optTableArray(t, 'buildpacks', file, `system.${kind}.buildpacks`).map((b, i) => {
    const path = `system.${kind}.buildpacks[${i}]`;
    // "Both `id` and `version` MUST be present"; `optional` defaults to false (platform-0.15.md).
    return {
      id: reqString(b, 'id', file, `${path}.id`),
      version: reqString(b, 'version', file, `${path}.version`),
      optional: optBool(b, 'optional', file, `${path}.optional`) ?? false,
    };
  });
}

/** Parses system.toml content. */
export function parseSystem(t: TomlTable, file: string): SystemFile {
  const system = optTable(t, 'system', file);
  return { pre: parseList(system, 'pre', file), post: parseList(system, 'post', file) };
}

/** Reads system.toml; a missing file means no system buildpacks (undefined), as the reference. */
export async function readSystem(file: string): Promise<SystemFile | undefined> {
  const t = await readToml(file, { optional: true, what: 'system buildpacks file' });
  return t === undefined ? undefined : parseSystem(t, file);
}

/**
 * Every group of `order` with the system buildpacks merged in (platform-0.15.md "detector"): `pre` at
 * the start and `post` at the end, each left out of a group that already has a buildpack of its ID.
 */
export function mergeSystem(order: Order, system: SystemFile): Order {
  if (system.pre.length === 0 && system.post.length === 0) return order;
  return order.map((g) => {
    const absent = (r: ModuleRef) => !g.group.some((m) => m.id === r.id);
    return { group: [...system.pre.filter(absent), ...g.group, ...system.post.filter(absent)] };
  });
}
