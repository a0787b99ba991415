import { MAX_LABEL_SOURCE_BYTES, optTable, readToml, type TomlTable, writeToml } from './toml.ts';

/** store.toml: buildpack-specific data persisted across builds (buildpack.md "store.toml (TOML)"). */
export interface StoreToml {
  /** `[metadata]`; `{}` when absent. */
  readonly metadata: TomlTable;
}

/** Parses store.toml; anything other than `[metadata]` is ignored. */
export function parseStoreToml(t: TomlTable, file: string): StoreToml {
  return { metadata: optTable(t, 'metadata', file) ?? {} };
}

/** Reads `<layers>/<bp>/store.toml`; undefined when absent. */
export async function readStoreToml(file: string): Promise<StoreToml | undefined> {
  // Its metadata goes into the image's lifecycle metadata label (D-214).
  const t = await readToml(file, { optional: true, what: 'store.toml', maxBytes: MAX_LABEL_SOURCE_BYTES });
  return t === undefined ? undefined : parseStoreToml(t, file);
}

/** Writes store.toml (`[metadata]`) atomically, as the restorer does before build. */
export async function writeStoreToml(file: string, store: StoreToml): Promise<void> {
  await writeToml(file, { metadata: store.metadata });
}
