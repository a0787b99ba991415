import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseApi } from '../../src/platform/index.ts';

/** testdata/builder/buildpacks: real shell-script buildpacks. */
export const BUILDPACKS = join(import.meta.dirname, '..', '..', 'testdata', 'builder', 'buildpacks');

/** When the tests run as root, buildpacks run as this user (S-7); otherwise as us. */
export const USER: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};

/** A fresh workspace: app, layers, platform and build-config dirs under one temp root. */
export interface Workspace {
  readonly root: string;
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly buildConfig: string;
  write(rel: string, content: string): Promise<void>;
  read(rel: string): Promise<string>;
  exists(rel: string): Promise<boolean>;
  /** Hands the tree to USER (so a non-root buildpack can write app and layers). */
  handOver(): Promise<void>;
  cleanup(): Promise<void>;
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  for (const d of await readdir(p, { withFileTypes: true })) {
    if (d.isDirectory()) await chownTree(join(p, d.name), uid, gid);
    else await chown(join(p, d.name), uid, gid);
  }
}

export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'builder-test-'));
  const ws: Workspace = {
    root,
    app: join(root, 'workspace'),
    layers: join(root, 'layers'),
    platform: join(root, 'platform'),
    buildConfig: join(root, 'build-config'),
    async write(rel, content) {
      const p = join(root, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
    },
    read: (rel) => readFile(join(root, rel), 'utf8'),
    async exists(rel) {
      try {
        await readFile(join(root, rel));
        return true;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'EISDIR';
      }
    },
    async handOver() {
      if (USER.uid !== undefined && USER.gid !== undefined) await chownTree(root, USER.uid, USER.gid);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const d of [ws.app, ws.layers, ws.platform]) await mkdir(d, { recursive: true });
  return ws;
}

/** Parses `env | sort` output into a map (multi-line values are not used by the fixtures). */
export { parseLines as parseEnvDump } from '../support/black-box.ts';

/** group.toml text for `[id, version, api]` triples. */
export function groupToml(bps: ReadonlyArray<readonly [string, string, string]>): string {
  return bps
    .map(([id, version, api]) => `[[group]]\nid = "${id}"\nversion = "${version}"\napi = "${api}"\n`)
    .join('\n');
}

/** plan.toml for the three-buildpack group (dep-b is provided by first and third; dep-ext by an extension). */
export const PLAN = `
[[entries]]
  [[entries.providers]]
    id = "acme/first"
    version = "0.0.1"
  [[entries.requires]]
    name = "dep-a"
    [entries.requires.metadata]
      v = "1"

[[entries]]
  [[entries.providers]]
    id = "acme/first"
    version = "0.0.1"
  [[entries.providers]]
    id = "acme/third"
    version = "0.0.3"
  [[entries.requires]]
    name = "dep-b"

[[entries]]
  [[entries.providers]]
    id = "acme/second"
    version = "0.0.2"
  [[entries.requires]]
    name = "dep-c"

[[entries]]
  [[entries.providers]]
    id = "acme/third"
    version = "0.0.3"
    extension = true
  [[entries.requires]]
    name = "dep-ext"
`;

/** analyzed.toml with a full run-image target. */
export { ANALYZED } from '../support/black-box.ts';

/** The lifecycle's own env: SECRET_TOKEN and CNB_REGISTRY_AUTH must not reach buildpacks. */
export const LIFECYCLE_ENV = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/cnb',
  SECRET_TOKEN: 'shh',
  CNB_REGISTRY_AUTH: '{}',
};

/** BuildOptions for a workspace at Platform API 0.12. */
export function opts(ws: Workspace) {
  return {
    app: ws.app,
    buildpacks: BUILDPACKS,
    group: join(ws.layers, 'group.toml'),
    layers: ws.layers,
    plan: join(ws.layers, 'plan.toml'),
    platform: ws.platform,
    analyzed: join(ws.layers, 'analyzed.toml'),
    buildConfig: ws.buildConfig,
    env: LIFECYCLE_ENV,
    platformApi: parseApi('0.12')!,
    ...USER,
  };
}
