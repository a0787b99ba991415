// Helpers for the launcher's black-box tests: build (or reuse) the static launcher, lay out
// <layers> and <app> by hand, and run the launcher or a /cnb/process/<type>-style symlink to it.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = join(root, 'dist', 'lifecycle', 'launcher');

let cached: string | undefined;

/**
 * The launcher binary: $LAUNCHER_BIN if set, else dist/lifecycle/launcher when it is newer than every
 * launcher source, else a fresh build (scripts/build-launcher.sh into a temp dir).
 */
export function launcherPath(): string {
  if (cached) return cached;
  if (process.env['LAUNCHER_BIN']) {
    cached = process.env['LAUNCHER_BIN'];
    return cached;
  }
  const srcDir = join(root, 'launcher');
  const newest = Math.max(
    ...readdirSync(srcDir)
      .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
      .map((f) => statSync(join(srcDir, f)).mtimeMs),
    statSync(join(root, 'scripts', 'build-launcher.sh')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= newest) {
    cached = built;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-bin-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'launcher');
    execFileSync('bash', [join(root, 'scripts', 'build-launcher.sh'), out], { stdio: 'pipe' });
    cached = out;
  }
  return cached;
}

export interface Buildpack {
  id: string;
  api: string;
  version?: string;
}

export interface Process {
  type: string;
  command: string[] | string;
  args?: string[];
  direct?: boolean;
  default?: boolean;
  'working-dir'?: string;
  'buildpack-id': string;
  'exec-env'?: string[];
}

/** A file's content, or content plus mode (e.g. 0o755 for executables). */
export type FileSpec = string | { content: string; mode: number };

function tomlString(s: string): string {
  return JSON.stringify(s); // JSON string escapes are valid TOML basic-string escapes for our inputs
}

function tomlValue(v: string | boolean | string[]): string {
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[ ${v.map(tomlString).join(', ')} ]`;
  return tomlString(v);
}

/** metadata.toml as a TOML serializer writes it (platform.md "metadata.toml"). */
export function metadataToml(buildpacks: Buildpack[], processes: Process[]): string {
  let out = '';
  for (const bp of buildpacks) {
    out += `[[buildpacks]]\nid = ${tomlString(bp.id)}\nversion = ${tomlString(bp.version ?? '0.0.1')}\napi = ${tomlString(bp.api)}\n\n`;
  }
  for (const p of processes) {
    out += '[[processes]]\n';
    for (const [k, v] of Object.entries(p)) {
      if (v !== undefined) out += `${k} = ${tomlValue(v as string | boolean | string[])}\n`;
    }
    out += '\n';
  }
  return out;
}

export class Fixture {
  readonly dir: string;
  readonly layers: string;
  readonly app: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
    this.layers = join(this.dir, 'layers');
    this.app = join(this.dir, 'workspace');
    mkdirSync(join(this.layers, 'config'), { recursive: true });
    mkdirSync(this.app, { recursive: true });
  }

  /** Writes <layers>/config/metadata.toml (raw text, or built from buildpacks and processes). */
  metadata(buildpacks: Buildpack[] | string, processes: Process[] = []): this {
    const text = typeof buildpacks === 'string' ? buildpacks : metadataToml(buildpacks, processes);
    writeFileSync(join(this.layers, 'config', 'metadata.toml'), text);
    return this;
  }

  /**
   * Creates <layers>/<escaped bp id>/<name>/ with files, and <name>.toml with `[types] launch = true`
   * unless layerToml says otherwise (null: no <layer>.toml, as in an exported image).
   */
  layer(
    bpId: string,
    name: string,
    files: Record<string, FileSpec> = {},
    layerToml: string | null = '[types]\nlaunch = true\n',
  ): string {
    const bpDir = join(this.layers, bpId.replaceAll('/', '_'));
    const dir = join(bpDir, name);
    mkdirSync(dir, { recursive: true });
    if (layerToml !== null) writeFileSync(join(bpDir, `${name}.toml`), layerToml);
    for (const [rel, spec] of Object.entries(files)) this.file(join(dir, rel), spec);
    return dir;
  }

  /** Writes a file (creating parents). */
  file(path: string, spec: FileSpec): void {
    mkdirSync(dirname(path), { recursive: true });
    const content = typeof spec === 'string' ? spec : spec.content;
    writeFileSync(path, content);
    if (typeof spec !== 'string') chmodSync(path, spec.mode);
  }

  /** A /cnb/process/<type>-style symlink to the launcher inside the fixture. */
  processLink(type: string): string {
    const link = join(this.dir, 'cnb', 'process', type);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(launcherPath(), link);
    return link;
  }

  /** The environment the launcher starts with: a plain PATH plus the fixture's dirs. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      CNB_LAYERS_DIR: this.layers,
      CNB_APP_DIR: this.app,
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** Runs the launcher (or `exe`, e.g. a process link) with args. */
  run(
    args: string[],
    opts: { exe?: string; env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
  ): Result {
    // stdin: /dev/null unless input is given. (libuv hands children a socketpair for "pipe", and bash
    // reads ~/.bashrc when stdin is a socket, as if started by sshd.)
    const r = spawnSync(opts.exe ?? launcherPath(), args, {
      env: this.env(opts.env),
      encoding: 'utf8',
      timeout: 20_000,
      cwd: opts.cwd ?? this.dir,
      ...(opts.input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input: opts.input }),
    });
    if (r.error) throw r.error;
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Parses `env -0` style output (NUL-separated NAME=value entries) into a map. */
export function parseEnv0(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const entry of out.split('\0')) {
    if (!entry) continue;
    const i = entry.indexOf('=');
    m.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return m;
}

/** An executable shell script (for exec.d, bin/ and profile checks). */
export function script(body: string): FileSpec {
  return { content: `#!/bin/sh\n${body}\n`, mode: 0o755 };
}

/** A fixture maker for one test file: every fixture it made is removed after the file's tests. */
export function fixtureMaker(): () => Fixture {
  const made: Fixture[] = [];
  after(() => {
    for (const f of made) f.cleanup();
  });
  return () => {
    const f = new Fixture();
    made.push(f);
    return f;
  };
}
