import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { saveBaseImage } from '../../src/extend/index.ts';
import { writeAnalyzed } from '../../src/files/index.ts';
import { type Dockerd, dockerCli } from '../support/docker.ts';
import { LIFECYCLE_DIR } from '../support/lifecycle.ts';
import { type Published, runContainer } from '../support/platform/index.ts';

const run = promisify(execFile);

/**
 * An uncompressed tar (for `copyIn`) with the self-contained dist/lifecycle at /cnb/lifecycle (it needs
 * nothing of the image, D-250) and `extra` files (`path → [content, mode]`).
 */
export async function lifecycleTar(
  extra: Readonly<Record<string, readonly [string, number]>> = {},
): Promise<Buffer> {
  const stage = await mkdtemp(join(tmpdir(), 'extender-stage-'));
  await chmod(stage, 0o755);
  try {
    const lc = join(stage, 'cnb', 'lifecycle');
    await mkdir(lc, { recursive: true });
    await cp(LIFECYCLE_DIR, lc, { recursive: true, verbatimSymlinks: true });
    for (const [path, [content, mode]] of Object.entries(extra)) {
      await mkdir(join(stage, path, '..'), { recursive: true });
      await writeFile(join(stage, path), content);
      await chmod(join(stage, path), mode);
    }
    const { stdout: tar } = await run('tar', ['-C', stage, '--owner=0', '--group=0', '-cf', '-', '.'], {
      encoding: 'buffer',
      maxBuffer: 1 << 30,
    });
    return tar as unknown as Buffer;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** A `tar -tv`-like listing of a tar (type, mode, owner, size, name, link) without times, sorted. */
export async function tarListing(tar: Buffer): Promise<string[]> {
  const { extract } = await import('tar-stream');
  const out: string[] = [];
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      const name = h.name.replace(/^\.?\//, '').replace(/\/$/, '');
      const size = h.type === 'file' ? h.size : 0;
      out.push(
        `${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${size} ${name}${h.linkname ? ` -> ${h.linkname}` : ''}`,
      );
      s.resume();
      s.on('end', next);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(tar);
  });
  return out.sort();
}

/** The docker CLI on a test engine (the classic builder: the engine has no buildx); stdout as latin1. */
export function dockerOn(dockerd: Dockerd): (args: readonly string[]) => Promise<string> {
  return async (args) => {
    const { stdout } = await run(dockerCli(), [...args], {
      env: { ...process.env, DOCKER_HOST: dockerd.host, DOCKER_BUILDKIT: '0' },
      maxBuffer: 1 << 30,
      encoding: 'buffer',
    });
    return (stdout as unknown as Buffer).toString('latin1');
  };
}

/** `docker export` of a created (not started) container of `image`, as a listing without times. */
export async function exportListing(docker: (args: readonly string[]) => Promise<string>, image: string) {
  const id = (await docker(['create', image, '/bin/true'])).trim();
  try {
    return await tarListing(Buffer.from(await docker(['export', id]), 'latin1'));
  } finally {
    await docker(['rm', '-f', id]);
  }
}

/** Asserts two listings (see {@link tarListing}) hold the same entries, naming each side's extras. */
export function assertSameListing(ours: readonly string[], theirs: readonly string[], what: string): void {
  assert.deepEqual(
    ours.filter((l) => !theirs.includes(l)),
    [],
    `only in ${what}`,
  );
  assert.deepEqual(
    theirs.filter((l) => !ours.includes(l)),
    [],
    'only in the docker-built image',
  );
}

/** What every extender workspace shares: the engine, the images, the lifecycle tar, a scratch dir. */
export interface ExtenderEnv {
  readonly dockerd: Dockerd;
  readonly build: Published;
  readonly runImage: Published;
  readonly lifecycle: Buffer;
  readonly dir: string;
}

/**
 * Host directories for one extender container (layers with the detector's outputs, app, kaniko,
 * platform) and a function running the extender of `kind` on `base` in a container, as root.
 */
export async function workspace(
  e: ExtenderEnv,
  o: {
    readonly name: string;
    readonly kind: 'build' | 'run';
    readonly base: Published;
    readonly dockerfile: string;
    readonly config?: string;
    /** Files of the app dir (the build context); default one `ext-input.txt`. */
    readonly app?: (app: string) => Promise<void>;
  },
) {
  const ws = join(e.dir, o.name);
  const layers = join(ws, 'layers');
  const app = join(ws, 'app');
  const kaniko = join(ws, 'kaniko');
  const gen = join(layers, 'generated', o.kind, 'test_ext');
  await mkdir(gen, { recursive: true });
  await mkdir(app, { recursive: true });
  await mkdir(join(ws, 'platform'), { recursive: true });
  await writeFile(join(app, 'ext-input.txt'), 'hello from the app\n');
  await o.app?.(app);
  await writeFile(join(gen, 'Dockerfile'), o.dockerfile);
  if (o.config) await writeFile(join(gen, 'extend-config.toml'), o.config);
  await writeFile(
    join(layers, 'group.toml'),
    '[[group]]\nid = "test/bp"\nversion = "0.1"\napi = "0.12"\n\n[[group-extensions]]\nid = "test/ext"\nversion = "0.1"\napi = "0.12"\n',
  );
  await writeFile(join(layers, 'plan.toml'), '');
  await writeAnalyzed(join(layers, 'analyzed.toml'), {
    ...(o.kind === 'build' ? { buildImage: { reference: e.build.ref } } : {}),
    runImage: {
      reference: e.runImage.ref,
      image: e.runImage.name,
      ...(o.kind === 'run' ? { extend: true } : {}),
    },
  });
  // what the restorer saves for the extender
  await saveBaseImage(kaniko, o.base.image);
  const binds = [
    `${layers}:/layers`,
    `${app}:/workspace`,
    `${kaniko}:/kaniko`,
    `${join(ws, 'platform')}:/platform`,
  ];
  const extend = (args: readonly string[] = []) =>
    runContainer(e.dockerd, {
      image: o.base.name,
      user: '0:0',
      network: 'none',
      cmd: ['/cnb/lifecycle/extender', '-kind', o.kind, '-log-level', 'debug', ...args],
      env: { CNB_PLATFORM_API: '0.12' },
      binds,
      copyIn: [e.lifecycle],
    });
  return { ws, layers, app, kaniko, extend };
}
