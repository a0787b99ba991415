import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDirCache } from '../../src/cache/index.ts';
import { type LifecycleMetadata, lifecycleMetadataToToml, writeAnalyzed } from '../../src/files/index.ts';
import { addDirLayer, cacheMeta, lm } from './helpers.ts';

/** A restorer scenario on disk: layers dir with group.toml and analyzed.toml, and a directory cache. */
export interface Scenario {
  readonly root: string;
  readonly layers: string;
  readonly cacheDir: string;
  readonly group: string;
  readonly analyzed: string;
  /** diffIDs of the cached layers by name. */
  readonly sha: Readonly<Record<string, string>>;
}

export const BP = 'example/cacher';
export const BP_DIR = 'example_cacher';

/**
 * The standard scenario (modelled on the reference's acceptance fixtures): buildpack `example/cacher`
 * with a launch-only layer (app metadata only), a launch+cache layer, a cache-only build layer, a stale
 * launch+cache layer (app SHA ≠ cache SHA), a corrupted cache layer, an uncached-but-listed layer, plus a
 * buildpack in the cache but not in the group, and an SBOM layer.
 */
export async function standardScenario(bpApi = '0.10'): Promise<Scenario> {
  const root = await mkdtemp(join(tmpdir(), 'restorer-'));
  const layers = join(root, 'layers');
  const cacheDir = join(root, 'cache');
  await mkdir(layers, { recursive: true });
  await mkdir(cacheDir, { recursive: true });
  const group = join(layers, 'group.toml');
  await writeFile(
    group,
    `[[group]]\n  id = "${BP}"\n  version = "1.0.0"\n  api = "${bpApi}"\n\n[[group]]\n  id = "plain"\n  version = "2.0"\n  api = "0.12"\n`,
  );
  const bpLayers = join(layers, BP_DIR);
  const w = (await openDirCache(cacheDir)).startWrite();
  const sha: Record<string, string> = {
    'launch-cache': await addDirLayer(w, join(bpLayers, 'launch-cache'), { data: 'launch-cache-data\n' }),
    cached: await addDirLayer(w, join(bpLayers, 'cached'), { 'bin/tool': 'tool\n', data: 'cached-data\n' }),
    stale: await addDirLayer(w, join(bpLayers, 'stale'), { data: 'stale\n' }),
    corrupted: await addDirLayer(w, join(bpLayers, 'corrupted'), { data: 'corrupted\n' }),
    unused: await addDirLayer(w, join(layers, 'unused_bp', 'thing'), { data: 'unused\n' }),
    sbom: await addDirLayer(w, join(layers, 'sbom'), {
      'cache/example_cacher/cached/sbom.cdx.json': '{"cached":true}',
      'cache/unused_bp/thing/sbom.cdx.json': '{}',
    }),
  };
  const missing = `sha256:${'b'.repeat(64)}`;
  await w.setMetadata({
    buildpacks: [
      cacheMeta(BP, {
        'launch-cache': lm(sha['launch-cache']!, { launch: true, cache: true }, { from: 'cache' }),
        cached: lm(sha['cached']!, { build: true, cache: true }, { version: '1.2.3' }),
        stale: lm(sha['stale']!, { launch: true, cache: true }),
        corrupted: lm(sha['corrupted']!, { cache: true }),
        missing: lm(missing, { cache: true }),
        'not-cached': lm(`sha256:${'c'.repeat(64)}`, { build: true }),
      }).buildpacks[0]!,
      cacheMeta('unused/bp', { thing: lm(sha['unused']!, { cache: true }) }).buildpacks[0]!,
    ],
    sbom: { sha: sha['sbom']! },
  });
  await w.commit();
  // Corrupt one cached tar in place (same size, different bytes).
  const corruptPath = join(cacheDir, 'committed', `${sha['corrupted']}.tar`);
  const bytes = await readFile(corruptPath);
  bytes[bytes.length - 1200] = (bytes[bytes.length - 1200]! + 1) % 256;
  await writeFile(corruptPath, bytes);

  const app: LifecycleMetadata = {
    buildpacks: [
      {
        key: BP,
        version: '1.0.0',
        layers: {
          'launch-only': lm(`sha256:${'d'.repeat(64)}`, { launch: true }, { 'launch-key': 'launch-value' }),
          'launch-cache': lm(sha['launch-cache']!, { launch: true, cache: true }, { from: 'app' }),
          'launch-build': lm(`sha256:${'e'.repeat(64)}`, { launch: true, build: true }),
          stale: lm(`sha256:${'f'.repeat(64)}`, { launch: true, cache: true }),
        },
        store: { metadata: { answer: 42, nested: { k: 'v' } } },
      },
    ],
  };
  const analyzed = join(layers, 'analyzed.toml');
  await writeAnalyzed(analyzed, {
    previousImage: { reference: 'registry.example/app@sha256:0000' },
    metadata: lifecycleMetadataToToml(app),
    runImage: {
      reference: 'registry.example/run@sha256:1111',
      image: 'registry.example/run',
      target: { os: 'linux', arch: 'amd64' },
    },
  });
  // An SBOM restored by the analyzer from the previous image, and a buildpack-level one (not restored).
  await mkdir(join(layers, 'sbom', 'launch', BP_DIR, 'launch-only'), { recursive: true });
  await writeFile(join(layers, 'sbom', 'launch', BP_DIR, 'launch-only', 'sbom.spdx.json'), '{"launch":true}');
  await writeFile(join(layers, 'sbom', 'launch', BP_DIR, 'sbom.cdx.json'), '{"bp-level":true}');
  return { root, layers, cacheDir, group, analyzed, sha };
}
