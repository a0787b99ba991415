import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEnvDir } from './env-dir.ts';
import { type EnvVars, prependPath } from './modify.ts';

/**
 * Layer sub-directory → the variables it is prepended to during build
 * (buildpack.md "Environment" > "Layer Paths"; platform.md "POSIX Path Variables").
 */
export const BUILD_LAYER_PATHS: Readonly<Record<string, readonly string[]>> = {
  bin: ['PATH'],
  lib: ['LD_LIBRARY_PATH', 'LIBRARY_PATH'],
  include: ['CPATH'],
  pkgconfig: ['PKG_CONFIG_PATH'],
};

/** The launch subset of the layer paths (buildpack.md "Layer Paths", Launch column). */
export const LAUNCH_LAYER_PATHS: Readonly<Record<string, readonly string[]>> = {
  bin: ['PATH'],
  lib: ['LD_LIBRARY_PATH'],
};

/** The POSIX path variables of the build environment (platform.md "POSIX Path Variables"). */
export const BUILD_PATH_VARS: readonly string[] = [
  'PATH',
  'LD_LIBRARY_PATH',
  'LIBRARY_PATH',
  'CPATH',
  'PKG_CONFIG_PATH',
];

/** The OS path-list separator (Linux only for now). */
export const PATH_LIST_SEPARATOR = ':';

/**
 * Prepends a layer's existing sub-directories to their variables (pure).
 * `existing` names the sub-directories of `layerDir` that exist (e.g. `bin`, `lib`).
 */
export function prependLayerPaths(
  env: EnvVars,
  layerDir: string,
  existing: ReadonlySet<string>,
  paths: Readonly<Record<string, readonly string[]>> = BUILD_LAYER_PATHS,
): Record<string, string> {
  const out: Record<string, string> = { ...env };
  for (const [sub, vars] of Object.entries(paths)) {
    if (!existing.has(sub)) continue;
    for (const v of vars) out[v] = prependPath(out[v], join(layerDir, sub), PATH_LIST_SEPARATOR);
  }
  return out;
}

async function existingSubdirs(
  layerDir: string,
  paths: Readonly<Record<string, readonly string[]>>,
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const sub of Object.keys(paths)) {
    try {
      if ((await stat(join(layerDir, sub))).isDirectory()) found.add(sub);
    } catch {
      // absent: not added (docs/reference-behaviour.md §5 "Layers": only dirs that exist)
    }
  }
  return found;
}

/**
 * Applies one buildpack's `build = true` layers to the build environment seen by later buildpacks
 * (buildpack.md "Build Layers", "Layer Paths", "Provided by the Buildpacks").
 *
 * `layerDirs` are absolute layer directories of ONE buildpack. Order (a project decision, see
 * docs/decisions.md): first the layer paths, so that within the buildpack they read in ascending
 * layer-name order ("MUST order all `<layer>` paths provided by a given buildpack alphabetically
 * ascending"), each buildpack's paths ahead of earlier buildpacks' (reversed group order); then, layer
 * by layer in ascending name order, `env/` and then `env.build/` with override as the no-suffix action.
 * Applying layer by layer gives exactly the spec's append/prepend/override/default ordering rules.
 */
export async function applyBuildLayers(
  env: EnvVars,
  layerDirs: readonly string[],
): Promise<Record<string, string>> {
  const sorted = [...layerDirs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let out: Record<string, string> = { ...env };
  for (const dir of [...sorted].reverse()) {
    out = prependLayerPaths(out, dir, await existingSubdirs(dir, BUILD_LAYER_PATHS));
  }
  for (const dir of sorted) {
    out = await applyEnvDir(out, join(dir, 'env'), 'override');
    out = await applyEnvDir(out, join(dir, 'env.build'), 'override');
  }
  return out;
}
