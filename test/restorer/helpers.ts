import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CacheMetadata, CacheWriter } from '../../src/cache/index.ts';
import type { LayerMetadata } from '../../src/files/index.ts';
import { type LayerEntry, writeLayer } from '../../src/layer/index.ts';

/** Parent directory entries of an absolute archive path, as the exporter writes them (`/a`, `/a/b`, …). */
function parents(archivePath: string, uid: number, gid: number): LayerEntry[] {
  const parts = archivePath.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).map((_, i) => ({
    name: `/${parts.slice(0, i + 1).join('/')}`,
    type: 'dir' as const,
    mode: 0o755,
    uid,
    gid,
  }));
}

/**
 * Adds a layer to a cache writer the way the exporter makes it: the files of `files` (relative path →
 * content) under the absolute archive path `archivePath` (e.g. `<layers>/<bp>/<layer>`), as a tar.
 */
export async function addDirLayer(
  w: CacheWriter,
  archivePath: string,
  files: Readonly<Record<string, string>>,
  owner: { uid: number; gid: number } = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'cache-layer-src-'));
  try {
    const src = join(tmp, 'src');
    await mkdir(src, { recursive: true });
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(dirname(join(src, rel)), { recursive: true });
      await writeFile(join(src, rel), content);
    }
    const tarPath = join(tmp, 'layer.tar');
    const { diffID } = await writeLayer(
      {
        dir: src,
        prefix: archivePath,
        uid: owner.uid,
        gid: owner.gid,
        parents: parents(archivePath, owner.uid, owner.gid),
      },
      tarPath,
      { compression: 'none' },
    );
    return await w.addLayer({ tarPath }, diffID);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `{ sha, data, build, launch, cache }` for cache and app metadata. */
export function lm(
  sha: string,
  types: Partial<Pick<LayerMetadata, 'build' | 'launch' | 'cache'>>,
  data: Record<string, unknown> = {},
): LayerMetadata {
  return {
    sha,
    data,
    build: types.build ?? false,
    launch: types.launch ?? false,
    cache: types.cache ?? false,
  };
}

/** Cache metadata for one buildpack. */
export function cacheMeta(key: string, layers: Record<string, LayerMetadata>, sbom?: string): CacheMetadata {
  return {
    buildpacks: [{ key, version: '1.0.0', layers }],
    ...(sbom === undefined ? {} : { sbom: { sha: sbom } }),
  };
}
