import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { type PhaseRun, runPhase } from './lifecycle.ts';

/**
 * Black-box helpers (test/detector/cli-*, test/builder/cli-*, test/phases): a platform-like temp tree, the built `dist/lifecycle/detector`
 * and `builder` run as a platform would, and readers for what the fixture buildpacks recorded.
 *
 * Fixture buildpacks (testdata/phases/buildpacks, laid out `<id with / → _>/<version>/`, S-1)
 * source testdata/phases/lib/{detect,build}.sh: they record argv, cwd, uid/gid and env under
 * `<app>/out/<name>.<detect|build>.*` and take their behaviour from files the test writes in `<app>`:
 * `plan/<name>.toml`, `exit/<name>.<detect|build>`, `build/<name>/…` (copied into the layers dir) and
 * `hooks/<name>.build.sh` (sourced inside bin/build).
 */
export const BUILDPACKS = join(import.meta.dirname, '..', '..', 'testdata', 'phases', 'buildpacks');

/** The suite runs as root in CI; then buildpacks must run as an unprivileged build user (S-7). */
export const AS_ROOT = process.getuid?.() === 0;

/** The uid/gid buildpacks are expected to run as: nobody when we are root, else ourselves. */
export const BUILD_USER: { readonly uid: number; readonly gid: number } = AS_ROOT
  ? { uid: 65534, gid: 65534 }
  : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

/** CNB_USER_ID/CNB_GROUP_ID a platform passes when it starts the lifecycle as root. */
export const USER_ENV: Record<string, string> = AS_ROOT
  ? { CNB_USER_ID: String(BUILD_USER.uid), CNB_GROUP_ID: String(BUILD_USER.gid) }
  : {};

export const PLATFORM_API = '0.12';

/** A stack trace leaking into the output (DESIGN.md 6: never for bad input). */
export const STACK_TRACE = /\n\s+at /;

export interface RunOptions {
  /** Do not add the default `-app -layers -platform -buildpacks` flags. */
  readonly bare?: boolean;
  readonly cwd?: string;
}

export interface Workspace {
  readonly root: string;
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly buildConfig: string;
  /** Writes `content` at `<root>/rel` (parents created; mode 0644 unless given). */
  write(rel: string, content: string, mode?: number): Promise<void>;
  read(rel: string): Promise<string>;
  readToml(rel: string): Promise<Record<string, unknown>>;
  /** The buildpack ids of a group.toml's `[[group]]`, in order (default `layers/group.toml`). */
  groupIds(rel?: string): Promise<string[]>;
  exists(rel: string): Promise<boolean>;
  /** Runs `dist/lifecycle/detector` with the workspace's dirs and CNB_PLATFORM_API=0.12 (+ build user). */
  detector(
    args?: readonly string[],
    env?: Record<string, string | undefined>,
    o?: RunOptions,
  ): Promise<PhaseRun>;
  /** Runs `dist/lifecycle/builder` the same way. */
  builder(
    args?: readonly string[],
    env?: Record<string, string | undefined>,
    o?: RunOptions,
  ): Promise<PhaseRun>;
  /** `key=value` lines a fixture buildpack recorded in `out/<name>.<phase>.args`. */
  args(name: string, phase: 'detect' | 'build'): Promise<Record<string, string>>;
  /** The env a fixture buildpack saw (`out/<name>.<phase>.env`). */
  env(name: string, phase: 'detect' | 'build'): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/** analyzed.toml with a full run-image target. */
export const ANALYZED = `
[run-image]
reference = "example.com/run@sha256:0000000000000000000000000000000000000000000000000000000000000000"
[run-image.target]
os = "linux"
arch = "arm64"
arch-variant = "v8"
[run-image.target.distro]
name = "ubuntu"
version = "22.04"
`;

/** Parses `KEY=value` lines (values without newlines). */
export function parseLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** order.toml from groups of `id@version` refs; a trailing `?` marks an optional element. */
export function orderToml(groups: readonly (readonly string[])[]): string {
  return groups
    .map((g) => {
      const els = g.map((ref) => {
        const optional = ref.endsWith('?');
        const [id, version] = (optional ? ref.slice(0, -1) : ref).split('@');
        return `  [[order.group]]\n    id = "${id}"\n    version = "${version}"\n${optional ? '    optional = true\n' : ''}`;
      });
      return `[[order]]\n${els.join('')}`;
    })
    .join('\n');
}

/** group.toml from `id@version@api` refs. */
export function groupToml(refs: readonly string[]): string {
  return refs
    .map((ref) => {
      const [id, version, api] = ref.split('@');
      return `[[group]]\n  id = "${id}"\n  version = "${version}"\n  api = "${api}"\n`;
    })
    .join('\n');
}

/** Output of a phase run, for assertion messages. */
export function show(r: PhaseRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** A fresh platform-like tree: `<root>/{workspace,layers,platform,build-config}`, usable by BUILD_USER. */
export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'phases-test-'));
  await chmod(root, 0o755);
  const at = (rel: string) => join(root, rel);
  const common = (args: readonly string[], o: RunOptions | undefined) =>
    o?.bare
      ? args
      : ['-app', ws.app, '-layers', ws.layers, '-platform', ws.platform, '-buildpacks', BUILDPACKS, ...args];
  const run =
    (phase: string) =>
    (args: readonly string[] = [], env: Record<string, string | undefined> = {}, o?: RunOptions) =>
      runPhase(
        phase,
        common(args, o),
        { CNB_PLATFORM_API: PLATFORM_API, ...USER_ENV, ...env },
        o?.cwd ? { cwd: o.cwd } : {},
      );
  const ws: Workspace = {
    root,
    app: at('workspace'),
    layers: at('layers'),
    platform: at('platform'),
    buildConfig: at('build-config'),
    async write(rel, content, mode = 0o644) {
      await mkdir(dirname(at(rel)), { recursive: true });
      await writeFile(at(rel), content);
      await chmod(at(rel), mode);
    },
    read: (rel) => readFile(at(rel), 'utf8'),
    // smol-toml tables have a null prototype; plain objects compare with deepStrictEqual.
    readToml: async (rel) => JSON.parse(JSON.stringify(parse(await readFile(at(rel), 'utf8')))),
    groupIds: async (rel = 'layers/group.toml') =>
      ((parse(await readFile(at(rel), 'utf8'))['group'] ?? []) as { id: string }[]).map((g) => g.id),
    exists: (rel) =>
      stat(at(rel)).then(
        () => true,
        () => false,
      ),
    detector: run('detector'),
    builder: run('builder'),
    args: async (name, phase) => parseLines(await ws.read(`workspace/out/${name}.${phase}.args`)),
    env: async (name, phase) => parseLines(await ws.read(`workspace/out/${name}.${phase}.env`)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const d of [ws.app, ws.layers, ws.platform, ws.buildConfig]) await mkdir(d, { recursive: true });
  // The buildpacks (BUILD_USER) record into <app>/out; the lifecycle itself owns the rest.
  await mkdir(join(ws.app, 'out'));
  await chmod(ws.app, 0o777);
  await chmod(join(ws.app, 'out'), 0o777);
  return ws;
}
