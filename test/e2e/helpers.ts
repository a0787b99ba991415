import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { type Image, remote } from '../../src/image/index.ts';
import { baseImage } from '../layout/fixtures.ts';
import type { Dockerd } from '../support/docker.ts';
import {
  lifecycleSnapshot,
  type PhaseRun,
  removeLifecycleSnapshot,
  type StartedPhase,
  startPhase,
} from '../support/lifecycle.ts';
import type { RegistryHandle } from '../support/registry.ts';

/**
 * End-to-end helpers: the built lifecycle (a private copy of dist/lifecycle) run exactly as a platform
 * runs it, on a platform-like tree (`<root>/{workspace,layers,platform,cache,home}`), with the shell
 * buildpacks of testdata/e2e (S-1 layout), against a real registry and Docker engine.
 */

export const TESTDATA = join(import.meta.dirname, '..', '..', 'testdata', 'e2e');
export const BUILDPACKS = join(TESTDATA, 'buildpacks');
export const ORDER = join(TESTDATA, 'order.toml');
const APP_SRC = join(TESTDATA, 'app');

/** As root, the phases hand the dirs to this user and run buildpacks as it (platform.md; docs/reference-behaviour.md §0.8). */
export const AS_ROOT = process.getuid?.() === 0;
export const USER_ENV: Record<string, string> = AS_ROOT ? { CNB_USER_ID: '2222', CNB_GROUP_ID: '3333' } : {};

/** The private copy of dist/lifecycle the suite runs (other suites may rebuild dist/ meanwhile). */
export const lifecycleDir = lifecycleSnapshot;
/** Removes the private copy (call from `after`). */
export const cleanupLifecycle = removeLifecycleSnapshot;

/**
 * Starts `<lifecycle>/<phase> args…` with CNB_PLATFORM_API=0.12, the build user, and only PATH and HOME
 * from our environment, killed after `timeoutMs`.
 */
export async function spawnPhase(
  phase: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 120_000,
): Promise<StartedPhase> {
  const dir = await lifecycleDir();
  return startPhase(phase, args, { CNB_PLATFORM_API: '0.12', ...USER_ENV, ...env }, { dir, timeoutMs });
}

/** Runs a phase to the end. */
export async function phase(
  name: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<PhaseRun> {
  return (await spawnPhase(name, args, env)).done;
}

/** Output of a phase run, for assertion messages. */
export function show(r: PhaseRun): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** A Node.js runtime warning (`(node:123) MaxListenersExceededWarning: …`): noise for the platform's user. */
export const NODE_WARNING = /\(node:\d+\) \w*Warning/;

/** Fails with the phase's output unless it exited 0 without Node.js runtime warnings. */
export function ok(r: PhaseRun, what = 'phase'): PhaseRun {
  if (r.code !== 0) throw new Error(`${what} failed: ${show(r)}`);
  if (NODE_WARNING.test(r.stderr)) throw new Error(`${what} printed a Node.js warning: ${show(r)}`);
  return r;
}

/** The buildpacks' `e2e: …` lines (what they saw), in order. */
export function e2eLines(r: PhaseRun): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('e2e: '));
}

/** A platform-like tree. Fixed paths per workspace: images built in it are reproducible. */
export interface Workspace {
  readonly root: string;
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly cache: string;
  readonly home: string;
  /** Fresh `<app>` (a copy of testdata/e2e/app) and empty `<layers>`, as a platform gives every build. */
  fresh(): Promise<void>;
  /** Sets (or with `undefined` removes) a platform env var `<platform>/env/<name>`. */
  platformEnv(name: string, value: string | undefined): Promise<void>;
  /** Env common to every phase: HOME (no docker config unless written there). */
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  readToml(rel: string): Promise<Record<string, unknown>>;
  cleanup(): Promise<void>;
}

export async function workspace(prefix = 'e2e-'): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await chmod(root, 0o755);
  const ws: Workspace = {
    root,
    app: join(root, 'workspace'),
    layers: join(root, 'layers'),
    platform: join(root, 'platform'),
    cache: join(root, 'cache'),
    home: join(root, 'home'),
    async fresh() {
      await rm(ws.app, { recursive: true, force: true });
      await rm(ws.layers, { recursive: true, force: true });
      await cp(APP_SRC, ws.app, { recursive: true });
      await mkdir(ws.layers, { recursive: true });
      await mkdir(join(ws.platform, 'env'), { recursive: true });
      await mkdir(ws.cache, { recursive: true });
      await mkdir(ws.home, { recursive: true });
      await mkdir(join(root, 'tmp'), { recursive: true });
      await chmod(join(root, 'tmp'), 0o1777);
    },
    async platformEnv(name, value) {
      await mkdir(join(ws.platform, 'env'), { recursive: true });
      const p = join(ws.platform, 'env', name);
      if (value === undefined) await rm(p, { force: true });
      else await writeFile(p, value);
    },
    // The phases' scratch files stay in the workspace, so a killed exporter leaves nothing in /tmp.
    env: (extra = {}) => ({ HOME: ws.home, TMPDIR: join(root, 'tmp'), ...extra }),
    readToml: async (rel) => JSON.parse(JSON.stringify(parse(await readFile(join(root, rel), 'utf8')))),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  await ws.fresh();
  return ws;
}

/** Pushes the busybox base image (test/layout/fixtures.ts) as `<host>/<repo>:latest`. */
export async function pushRunImage(
  host: string,
  repo = 'e2e/run',
  env?: Record<string, string>,
): Promise<{ name: string; ref: string; image: Image }> {
  const image = await baseImage(repo);
  const name = `${host}/${repo}:latest`;
  const w = await remote.write(name, image, env === undefined ? {} : { env });
  return { name, ref: `${host}/${repo}@${w.digest}`, image };
}

/** A JSON label of an image config. */
export function jsonLabel(img: Image, key: string): Record<string, unknown> {
  return JSON.parse(img.config.config.Labels?.[key] ?? '{}') as Record<string, unknown>;
}

/** Blob uploads (final PUT of an upload session) seen by the registry, with their digests. */
export function blobUploads(reg: RegistryHandle): string[] {
  return reg
    .requests()
    .filter((r) => r.method === 'PUT' && r.uri.includes('/blobs/uploads/'))
    .map((r) => decodeURIComponent(/[?&]digest=([^&]+)/.exec(r.uri)?.[1] ?? '?'));
}

/**
 * Pulls an image from the loopback registry into the test engine (unless `pull: false`) and runs it
 * without a network: `docker run --rm --network none <opts> <ref> <cmd>`.
 */
export async function dockerRun(
  d: Dockerd,
  ref: string,
  o: { opts?: readonly string[]; cmd?: readonly string[]; pull?: boolean } = {},
): Promise<{ stdout: string; stderr: string }> {
  if (o.pull !== false) await d.docker(['pull', '-q', ref]);
  return d.docker(['run', '--rm', '--network', 'none', ...(o.opts ?? []), ref, ...(o.cmd ?? [])]);
}

/** `docker image inspect` of one image: its config. */
export async function dockerConfig(d: Dockerd, ref: string): Promise<Record<string, unknown>> {
  const out = await d.docker(['image', 'inspect', ref]);
  const [info] = JSON.parse(out.stdout) as { Config: Record<string, unknown> }[];
  return info?.Config ?? {};
}

/** `KEY=value` lines of `env` output. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The detector's flags for a workspace: the dirs, an order and buildpacks (default the e2e ones). */
export function detectorFlags(ws: Workspace, order = ORDER, buildpacks = BUILDPACKS): string[] {
  return [
    '-app',
    ws.app,
    '-layers',
    ws.layers,
    '-platform',
    ws.platform,
    '-buildpacks',
    buildpacks,
    '-order',
    order,
  ];
}

/** The creator's flags for a workspace (platform.md `creator`): the dirs, buildpacks, order, launcher. */
export async function creatorFlags(ws: Workspace, order = ORDER, buildpacks = BUILDPACKS): Promise<string[]> {
  return [...detectorFlags(ws, order, buildpacks), '-launcher', join(await lifecycleDir(), 'launcher')];
}

/** A free loopback port with nothing listening on it (an unreachable registry). */
export async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const a = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  if (typeof a !== 'object' || a === null) throw new Error('no port');
  return a.port;
}
