import { optBool, optStringArray, optTableArray, readToml, reqString, type TomlTable } from './toml.ts';

/**
 * A reference to a buildpack (or image extension) inside an order group
 * (platform.md "order.toml"; buildpack.md "buildpack.toml" `[[order.group]]`).
 */
export interface ModuleRef {
  readonly id: string;
  readonly version: string;
  /** Defaults to false (platform.md "order.toml"). */
  readonly optional: boolean;
  /** Buildpack API 0.12 `exec-env` (only acted upon at Platform API 0.15+). */
  readonly execEnv?: readonly string[];
}

/** One `[[order]]` entry: an ordered group of references. */
export interface OrderGroup {
  readonly group: readonly ModuleRef[];
}

/** An order: groups tried in sequence. */
export type Order = readonly OrderGroup[];

/** order.toml (platform.md "order.toml"). */
export interface OrderFile {
  readonly order: Order;
  /** `[[order-extensions]]` (experimental image extensions); empty when absent. */
  readonly orderExtensions: Order;
}

/**
 * Parses an array of `{ group = [...] }` tables found at `key` of `t` (used for order.toml's
 * `[[order]]` and `[[order-extensions]]`, and buildpack.toml's `[[order]]`).
 */
export function parseOrderGroups(t: TomlTable, key: string, file: string): Order {
  return optTableArray(t, key, file).map((o, i) => ({
    group: optTableArray(o, 'group', file, `${key}[${i}].group`).map((g, j) =>
      parseModuleRef(g, file, `${key}[${i}].group[${j}]`),
    ),
  }));
}

function parseModuleRef(g: TomlTable, file: string, path: string): ModuleRef {
  const execEnv = optStringArray(g, 'exec-env', file, `${path}.exec-env`);
  return {
    id: reqString(g, 'id', file, `${path}.id`),
    version: reqString(g, 'version', file, `${path}.version`),
    optional: optBool(g, 'optional', file, `${path}.optional`) ?? false,
    ...(execEnv === undefined ? {} : { execEnv }),
  };
}

/** Parses order.toml content. */
export function parseOrderFile(t: TomlTable, file: string): OrderFile {
  return {
    order: parseOrderGroups(t, 'order', file),
    orderExtensions: parseOrderGroups(t, 'order-extensions', file),
  };
}

/** Reads order.toml; a missing file is an error naming the path (exit 1, like the reference). */
export async function readOrder(file: string): Promise<OrderFile> {
  return parseOrderFile(
    await readToml(file, { what: 'order file', hint: 'pass -order, or put order.toml in <layers> or /cnb' }),
    file,
  );
}

/** True when an order file lists image extensions (experimental; platform.md "Experimental Features"). */
export function hasExtensions(o: OrderFile): boolean {
  return o.orderExtensions.some((g) => g.group.length > 0);
}
