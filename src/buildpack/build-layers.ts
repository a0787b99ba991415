import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isIgnoredLayer, type LayerToml, type LayerTypes, readLayerToml } from '../files/index.ts';

/** Files in a buildpack's layers directory that are not layer metadata (buildpack.md "Build"). */
const NOT_LAYERS: ReadonlySet<string> = new Set(['launch.toml', 'build.toml', 'store.toml']);

/**
 * Reads every `<layer>.toml` of one buildpack's layers directory (a layer is defined by its
 * `<layer>.toml`; `launch.toml`, `build.toml` and `store.toml` are not layers), in name order,
 * with types and metadata (the exporter needs both).
 */
export async function readLayerTomls(bpLayersDir: string): Promise<Map<string, LayerToml>> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(bpLayersDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  const names = entries
    .filter((d) => !d.isDirectory() && d.name.endsWith('.toml') && !NOT_LAYERS.has(d.name))
    .map((d) => d.name.slice(0, -'.toml'.length))
    .filter((n) => n !== '')
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  // Read at once (the exporter reads every buildpack's before making a layer); the first bad file in
  // name order is the error, whichever fails first.
  const read = await Promise.allSettled(names.map((n) => readLayerToml(join(bpLayersDir, `${n}.toml`))));
  const layers = new Map<string, LayerToml>();
  read.forEach((r, k) => {
    if (r.status === 'rejected') throw r.reason;
    layers.set(names[k] as string, r.value);
  });
  return layers;
}

/** The types of every layer of one buildpack, in name order (see `readLayerTomls`). */
export async function readBuildpackLayers(bpLayersDir: string): Promise<Map<string, LayerTypes>> {
  return new Map([...(await readLayerTomls(bpLayersDir))].map(([n, l]) => [n, l.types]));
}

/**
 * Renames `<layer>/` to `<layer>.ignore/` for every layer whose types are all false
 * (buildpack.md "Ignored Layers"). Directories without a `<layer>.toml` are left alone
 * (S-6). Returns the names renamed.
 */
export async function renameIgnoredLayers(
  bpLayersDir: string,
  layers: ReadonlyMap<string, LayerTypes>,
): Promise<string[]> {
  const renamed: string[] = [];
  for (const [name, types] of layers) {
    if (!isIgnoredLayer(types)) continue;
    const dir = join(bpLayersDir, name);
    try {
      if (!(await stat(dir)).isDirectory()) continue;
    } catch {
      continue;
    }
    await rm(`${dir}.ignore`, { recursive: true, force: true });
    await rename(dir, `${dir}.ignore`);
    renamed.push(name);
  }
  return renamed;
}
