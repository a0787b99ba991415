import assert from 'node:assert/strict';
import { join } from 'node:path';
import { remote } from '../../src/image/index.ts';
import type { ContainerRun, World } from '../support/platform/index.ts';

/**
 * What every platform flow checks: the test buildpacks' output on a first build and a rebuild (layers
 * reused, cache restored), the reuse as the exporter recorded it, and the app image run three ways
 * (default process, another process, `--entrypoint launcher`).
 */

export const APP = join(import.meta.dirname, '..', '..', 'testdata', 'platforms', 'app');
export const BUILDPACKS = join(import.meta.dirname, '..', '..', 'testdata', 'platforms', 'buildpacks');
/** The builder's order: every test buildpack in one group. */
export const ORDER = [
  [{ id: 'tests/runtime' }, { id: 'tests/deps' }, { id: 'tests/procfile' }, { id: 'tests/greeting' }],
] as const;

/** All containers' stdout and stderr, joined. */
export function output(runs: readonly ContainerRun[]): string {
  return runs.map((r) => `${r.stdout}${r.stderr}`).join('\n');
}

function has(log: string, re: RegExp, what: string): void {
  assert.match(log, re, `${what}; the build printed:\n${log}`);
}

/** A first build: every layer made anew. */
export function assertFirstBuild(log: string): void {
  has(log, /Installing runtime 1\.2\.3/, 'the runtime layer is installed');
  has(log, /Downloading left-pad/, 'dependencies are downloaded');
  has(log, /Installing dependencies/, 'the deps layer is made');
  has(log, /process web: \.\/web\.sh/, 'the Procfile is read');
}

/**
 * A rebuild: the deps layer is reused from the previous image's metadata; with `cache` the runtime
 * layer and the downloads come back from the cache.
 */
export function assertRebuild(log: string, o: { cache: boolean }): void {
  has(log, /Reusing layer deps/, 'the deps layer metadata is restored from the previous image');
  if (o.cache) {
    has(log, /Reusing cached layer \/\S+\/runtime/, 'the runtime layer is restored from the cache');
    has(log, /Using cached download left-pad/, 'the cache-only layer is restored');
  }
}

/** `io.buildpacks.lifecycle.metadata` of an image in the registry. */
export async function registryMetadata(w: World, ref: string): Promise<Record<string, unknown>> {
  const img = await remote.image(ref, { env: { CNB_REGISTRY_AUTH: w.registryAuth } });
  return JSON.parse(img.config.config.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '{}');
}

/** The labels of an image in the test engine. */
export async function daemonLabels(w: World, name: string): Promise<Record<string, string>> {
  const out = await w.dockerd.docker(['image', 'inspect', name]);
  const [info] = JSON.parse(out.stdout) as { Config: { Labels?: Record<string, string> } }[];
  return info?.Config.Labels ?? {};
}

/** `sha` of a buildpack layer in the lifecycle metadata label. */
export function layerSha(md: Record<string, unknown>, bp: string, layer: string): string | undefined {
  const bps = (md['buildpacks'] ?? []) as { key: string; layers?: Record<string, { sha?: string }> }[];
  return bps.find((b) => b.key === bp)?.layers?.[layer]?.sha;
}

/**
 * The deps layer (and with `cache` the runtime layer, restored from the cache) is the same blob in both
 * images: reused, not rebuilt.
 */
export function assertLayersReused(
  second: Record<string, unknown>,
  first: Record<string, unknown>,
  o: { cache: boolean },
): void {
  const layers: [string, string][] = [['tests/deps', 'deps']];
  if (o.cache) layers.push(['tests/runtime', 'runtime']);
  for (const [bp, layer] of layers) {
    const a = layerSha(first, bp, layer);
    assert.ok(a, `${bp}:${layer} is in the first image's metadata: ${JSON.stringify(first)}`);
    assert.equal(layerSha(second, bp, layer), a, `${bp}:${layer} is reused by the rebuild`);
  }
}

/**
 * Runs the app image (already in the engine) without a network: the default process (web), `worker`
 * through /cnb/process on the PATH, and `--entrypoint launcher` with a command.
 */
export async function assertAppRuns(w: World, image: string): Promise<void> {
  const d = w.dockerd;
  const web = await d.docker(['run', '--rm', '--network', 'none', image]);
  assert.match(
    web.stdout,
    /^web: greeting=hello from exec\.d mode=production deps=is-even left-pad $/m,
    web.stdout,
  );
  assert.match(
    web.stdout,
    /^runtime 1\.2\.3 home=\/\S+\/tests_runtime\/runtime mode=production$/m,
    web.stdout,
  );
  const worker = await d.docker(['run', '--rm', '--network', 'none', '--entrypoint', 'worker', image]);
  assert.match(worker.stdout, /^worker: queue=jobs greeting=hello from exec\.d uid=1002$/m, worker.stdout);
  const launcher = await d.docker([
    'run',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    'launcher',
    image,
    '--',
    'bash',
    '-c',
    'echo "mode=$RUNTIME_MODE deps=$DEPS_HOME path=$PATH"; runtime-info',
  ]);
  assert.match(launcher.stdout, /^mode=production deps=\/\S+\/tests_deps\/deps\/lib path=/m, launcher.stdout);
  assert.match(launcher.stdout, /^runtime 1\.2\.3 /m, launcher.stdout);
  // the launcher strips its own directories from the PATH the app sees (env.NewLaunchEnv in the reference)
  const path = /path=(\S*)/.exec(launcher.stdout)?.[1] ?? '';
  assert.ok(!path.split(':').includes('/cnb/lifecycle'), `PATH seen by the app: ${path}`);
  assert.ok(!path.split(':').includes('/cnb/process'), `PATH seen by the app: ${path}`);
}

/** One build of a flow: its output and the image it made (a digest reference, a tag or a daemon name). */
export interface Built {
  readonly log: string;
  readonly image: string;
}

/**
 * What every flow checks: a first build making every layer, a rebuild reusing the deps layer (and with
 * `cache` restoring the runtime layer and the downloads), both as the exporter recorded it, then the
 * rebuilt image run three ways. `daemon`: the images are in the engine (their labels read there, no
 * pull). Resolves with both builds.
 */
export async function assertBuildsTwiceAndRuns(
  w: World,
  build: (n: 1 | 2) => Promise<Built>,
  o: { cache: boolean; daemon?: boolean },
): Promise<[Built, Built]> {
  const metadata = async (image: string): Promise<Record<string, unknown>> =>
    o.daemon
      ? JSON.parse((await daemonLabels(w, image))['io.buildpacks.lifecycle.metadata'] ?? '{}')
      : registryMetadata(w, image);
  const first = await build(1);
  assertFirstBuild(first.log);
  const md1 = await metadata(first.image);
  const second = await build(2);
  assertRebuild(second.log, o);
  assertLayersReused(await metadata(second.image), md1, o);
  if (!o.daemon) await w.dockerd.docker(['pull', '-q', second.image]);
  await assertAppRuns(w, second.image);
  return [first, second];
}
