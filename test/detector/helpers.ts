import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DetectOptions, type DetectResult, detect } from '../../src/phase/detect.ts';
import { parseApi } from '../../src/platform/api.ts';
import { isLifecycleError, type LifecycleError } from '../../src/platform/errors.ts';
import { memoryLogger } from '../../src/platform/log.ts';

/** testdata/detector/buildpacks: real shell-script buildpacks, `<escaped id>/<version>/`. */
export const BUILDPACKS = join(import.meta.dirname, '..', '..', 'testdata', 'detector', 'buildpacks');

/** When the tests run as root, buildpacks run as an unprivileged user (S-7); else as us. */
export const USER: { uid: number; gid: number } =
  process.getuid?.() === 0
    ? { uid: 1000, gid: 1000 }
    : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

/** A temp tree with app, layers, platform and build-config dirs, readable by USER. */
export interface DetectWorkspace {
  readonly root: string;
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly buildConfig: string;
  write(rel: string, content: string): Promise<void>;
  read(rel: string): Promise<string>;
  options(extra?: Partial<DetectOptions>): DetectOptions;
  /** Runs detect; returns the result or the LifecycleError, plus every log line. */
  run(
    extra?: Partial<DetectOptions>,
  ): Promise<{ result?: DetectResult; error?: LifecycleError; lines: string[] }>;
  cleanup(): Promise<void>;
}

/** Writes an order.toml body from `[[id@version, ...], ...]` (a `?` suffix marks optional). */
export function orderToml(groups: readonly (readonly string[])[]): string {
  return groups
    .map(
      (g) =>
        `[[order]]\n${g
          .map((ref) => {
            const optional = ref.endsWith('?');
            const [id, version] = (optional ? ref.slice(0, -1) : ref).split('@');
            return `[[order.group]]\nid = "${id}"\nversion = "${version}"\n${optional ? 'optional = true\n' : ''}`;
          })
          .join('')}`,
    )
    .join('\n');
}

export async function detectWorkspace(): Promise<DetectWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'detector-test-'));
  await chmod(root, 0o755);
  const ws: DetectWorkspace = {
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
    options: (extra = {}) => ({
      app: ws.app,
      buildpacks: BUILDPACKS,
      buildConfig: ws.buildConfig,
      group: join(ws.layers, 'group.toml'),
      layers: ws.layers,
      order: join(ws.layers, 'order.toml'),
      plan: join(ws.layers, 'plan.toml'),
      platform: ws.platform,
      analyzed: join(ws.layers, 'analyzed.toml'),
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: '/home/test',
        CNB_REGISTRY_AUTH: '{"secret":"x"}',
        SECRET_TOKEN: 's3cr3t',
      },
      platformApi: parseApi('0.12') ?? { major: 0, minor: 12 },
      tmpDir: root,
      osReleasePath: join(root, 'os-release'),
      ...USER,
      ...extra,
    }),
    async run(extra) {
      const log = memoryLogger('debug');
      try {
        return { result: await detect(ws.options(extra), log), lines: log.lines };
      } catch (e) {
        if (!isLifecycleError(e)) throw e;
        return { error: e, lines: log.lines };
      }
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const d of [ws.app, ws.layers, ws.platform, ws.buildConfig]) await mkdir(d, { recursive: true });
  return ws;
}

/** Parses `KEY=value` lines that an env-dumping buildpack printed into the logs. */
export function envFromLogs(lines: readonly string[], marker = 'ARGS='): Record<string, string> {
  const block = lines.find((l) => l.includes(marker));
  if (block === undefined) throw new Error(`no env dump in logs:\n${lines.join('\n')}`);
  const env: Record<string, string> = {};
  for (const l of block.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l.replace(/^(debug|info): /, ''));
    if (m?.[1] !== undefined) env[m[1]] = m[2] ?? '';
  }
  return env;
}
