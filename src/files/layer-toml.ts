import { LifecycleError } from '../platform/index.ts';
import { MAX_LABEL_SOURCE_BYTES, optBool, optTable, readToml, type TomlTable, writeToml } from './toml.ts';

/** `[types]` of a `<layer>.toml` (buildpack.md "Layer Types"); unset flags are false. */
export interface LayerTypes {
  readonly launch: boolean;
  readonly build: boolean;
  readonly cache: boolean;
}

/** Layer Content Metadata (buildpack.md "Layer Content Metadata (TOML)"). */
export interface LayerToml {
  readonly types: LayerTypes;
  /** `[metadata]`, buildpack-specific; `{}` when absent. */
  readonly metadata: TomlTable;
}

/** True when a layer is ignored: every type false (buildpack.md "Ignored Layers"). */
export function isIgnoredLayer(t: LayerTypes): boolean {
  return !t.launch && !t.build && !t.cache;
}

/**
 * Parses `<layer>.toml`. For every supported Buildpack API (0.7+) the flags live in `[types]`;
 * flags at the top level are an error (the reference's message, docs/reference-behaviour.md §5).
 */
export function parseLayerToml(t: TomlTable, file: string): LayerToml {
  const misplaced = ['launch', 'build', 'cache'].filter((k) => k in t);
  if (misplaced.length > 0) {
    throw new LifecycleError(
      'ERR_LAYER_TYPES_TOP_LEVEL',
      'failed',
      `${file}: the launch, cache and build flags should be in the types table of ${file} ` +
        `(found ${misplaced.join(', ')} at the top level); move them under [types]`,
    );
  }
  const types = optTable(t, 'types', file) ?? {};
  const metadata = optTable(t, 'metadata', file) ?? {};
  return {
    types: {
      launch: optBool(types, 'launch', file, 'types.launch') ?? false,
      build: optBool(types, 'build', file, 'types.build') ?? false,
      cache: optBool(types, 'cache', file, 'types.cache') ?? false,
    },
    metadata,
  };
}

/** Reads `<layer>.toml` (at most {@link MAX_LABEL_SOURCE_BYTES}: its metadata goes into labels, D-214). */
export async function readLayerToml(file: string): Promise<LayerToml> {
  return parseLayerToml(
    await readToml(file, { what: 'layer metadata', maxBytes: MAX_LABEL_SOURCE_BYTES }),
    file,
  );
}

/**
 * Writes `<layer>.toml` as the restorer does: `[metadata]` only, never `[types]`
 * (buildpack.md "Reusing Layers": restored metadata SHALL NOT contain the type booleans).
 */
export async function writeLayerMetadata(file: string, metadata: TomlTable): Promise<void> {
  await writeToml(file, Object.keys(metadata).length === 0 ? {} : { metadata });
}

/** Writes a complete `<layer>.toml` including `[types]` (used by tests and tools). */
export async function writeLayerToml(file: string, layer: LayerToml): Promise<void> {
  await writeToml(file, { types: { ...layer.types }, metadata: layer.metadata });
}
