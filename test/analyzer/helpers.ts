import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { emptyImage, type Image, mutate } from '../../src/image/index.ts';
import { layerFromDir } from '../../src/layer/index.ts';
import { busyboxRootfs, layerOf } from '../layout/fixtures.ts';
import { type PhaseRun, runPhase } from '../support/lifecycle.ts';

/** Shared fixtures of the analyzer's black-box tests (docs/reference-behaviour.md §1). */

export const USER = 'cnb-analyzer';
export const PASS = 'analyzer-Pa55';
export const basicAuth = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;

/** A run image: busybox rootfs, target labels, the given platform. */
export async function runImage(
  labels: Record<string, string> = {},
  platform: { os: string; architecture: string; variant?: string } = { os: 'linux', architecture: 'amd64' },
): Promise<Image> {
  return mutate(emptyImage(platform), {
    addLayers: [{ layer: await busyboxRootfs(), history: { created_by: 'busybox rootfs' } }],
    config: { env: { PATH: '/bin' }, labels },
  });
}

/** An app image "built before": run image plus an app layer, with a lifecycle metadata label. */
export async function previousAppImage(
  base: Image,
  metadata: object,
  extra: Image['layers'] = [],
): Promise<Image> {
  return mutate(base, {
    addLayers: [await layerOf({ 'workspace/app.txt': 'app\n' }), ...extra],
    config: { labels: { 'io.buildpacks.lifecycle.metadata': JSON.stringify(metadata) } },
  });
}

/** A temp workspace: layers dir, a place for run.toml, docker config, layouts. Traversable by any user. */
export async function workspace(): Promise<{ dir: string; layers: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'analyzer-'));
  await chmod(dir, 0o755);
  const layers = join(dir, 'layers');
  await mkdir(layers);
  return { dir, layers, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a run.toml with one `[[images]]` entry per argument. */
export async function writeRunToml(
  path: string,
  ...images: { image: string; mirrors?: string[] }[]
): Promise<void> {
  const body = images
    .map(
      (i) => `[[images]]\nimage = ${JSON.stringify(i.image)}\nmirrors = ${JSON.stringify(i.mirrors ?? [])}\n`,
    )
    .join('\n');
  await writeFile(path, body);
}

/** The base env of every run: Platform API 0.12, a HOME without docker config. */
export function baseEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { CNB_PLATFORM_API: '0.12', HOME: join(dir, 'home'), ...extra };
}

/** Runs the built analyzer. */
export function analyzer(args: readonly string[], env: Record<string, string>): Promise<PhaseRun> {
  return runPhase('analyzer', args, env);
}

/** analyzed.toml as the tests read it. */
export interface AnalyzedDoc {
  image?: { reference?: string };
  metadata?: Record<string, unknown>;
  'run-image'?: {
    reference?: string;
    image?: string;
    target?: {
      id?: string;
      os?: string;
      arch?: string;
      'arch-variant'?: string;
      distro?: { name?: string; version?: string };
    };
  };
}

/** Parsed analyzed.toml. */
export async function readAnalyzedToml(path: string): Promise<AnalyzedDoc> {
  return JSON.parse(JSON.stringify(parse(await readFile(path, 'utf8')))) as AnalyzedDoc;
}

/** stdout + stderr, for assertions on messages. */
export const output = (r: PhaseRun) => `${r.stdout}\n${r.stderr}`;

/** The lifecycle metadata label of a previously built image (reference JSON keys). */
export const PREVIOUS_METADATA = {
  app: [{ sha: 'sha256:aaaa' }],
  config: { sha: 'sha256:cccc' },
  launcher: { sha: 'sha256:llll' },
  processTypes: { sha: 'sha256:pppp' },
  buildpacks: [
    {
      key: 'example/node',
      version: '1.2.3',
      layers: {
        modules: { sha: 'sha256:mmmm', data: { lock: 'abc' }, build: false, launch: true, cache: true },
      },
      store: { metadata: { counter: 2 } },
    },
  ],
  runImage: { topLayer: 'sha256:tttt', reference: 'run@sha256:rrrr', image: 'run:v1', mirrors: ['m/run:v1'] },
};

/**
 * An SBOM layer as an exporter on another machine wrote it: absolute paths under `/old-layers/sbom`
 * (docs/reference-behaviour.md §1), holding `launch/example_node/sbom.cdx.json`.
 */
export async function sbomLayer(dir: string): Promise<Image['layers'][number]> {
  const src = join(dir, 'sbom-src');
  await mkdir(join(src, 'sbom', 'launch', 'example_node'), { recursive: true });
  await writeFile(
    join(src, 'sbom', 'launch', 'example_node', 'sbom.cdx.json'),
    '{"bomFormat":"CycloneDX"}\n',
  );
  return layerFromDir({ dir: src, prefix: '/old-layers', uid: 0, gid: 0 }, join(dir, 'sbom-layer.tgz'));
}
