import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { emptyImage, memoryLayer } from '../../src/image/assemble.ts';
import { mutate } from '../../src/image/mutate.ts';
import type { Image, Layer } from '../../src/image/types.ts';
import { layerFromDir } from '../../src/layer/index.ts';

/**
 * Test fixtures shared by the layout and daemon suites: tiny rootfs layers made with the system `tar`
 * (sorted, fixed mtime and owners, so deterministic) and a static-busybox base image.
 */

export const run = promisify(execFile);

/** Path of Debian's static busybox; throws (never skips) with the install command when it is missing. */
export function busyboxPath(): string {
  const path = '/bin/busybox';
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: the image tests need a static busybox for their base image; install it with ` +
        '`apt-get install -y busybox-static`',
    );
  }
  return path;
}

/** A file for {@link tarOf}: text content, or a symlink target, with an optional mode. */
export type Entry =
  | string
  | { readonly content?: string; readonly mode?: number; readonly symlink?: string; readonly copy?: string };

async function materialize(root: string, files: Readonly<Record<string, Entry>>): Promise<void> {
  for (const [rel, entry] of Object.entries(files)) {
    const path = join(root, rel);
    await mkdir(dirname(path), { recursive: true });
    const e = typeof entry === 'string' ? { content: entry } : entry;
    if (e.symlink !== undefined) await symlink(e.symlink, path);
    else if (e.copy !== undefined) await copyFile(e.copy, path);
    else await writeFile(path, e.content ?? '');
    if (e.symlink === undefined) await chmod(path, e.mode ?? 0o644);
  }
}

/** An uncompressed, deterministic tar of the given files (paths relative to the root, parents created). */
export async function tarOf(files: Readonly<Record<string, Entry>>): Promise<Buffer> {
  const root = await mkdtemp(join(tmpdir(), 'img-fixture-'));
  try {
    await materialize(root, files);
    const { stdout } = await run(
      'tar',
      [
        '--sort=name',
        '--mtime=@315532801',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '--format=gnu',
        '-cf',
        '-',
        '-C',
        root,
        '.',
      ],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

let blobDir: Promise<string> | undefined;

/** Removes the fixture layers' blob files (call from a suite's `after`). */
export async function cleanupFixtures(): Promise<void> {
  if (blobDir !== undefined) await rm(await blobDir, { recursive: true, force: true });
  blobDir = undefined;
  busyboxLayer = undefined;
}

/**
 * A gzip layer with the given files, written by the project's layer writer (`src/layer`) to a blob file
 * (so sinks can hard-link it). Names are relative (`bin/sh`), owners 0:0, mtimes normalized.
 */
export async function layerOf(files: Readonly<Record<string, Entry>>): Promise<Layer> {
  blobDir ??= mkdtemp(join(tmpdir(), 'img-fixture-blobs-'));
  const root = await mkdtemp(join(tmpdir(), 'img-fixture-'));
  try {
    await materialize(root, files);
    return await layerFromDir(
      { dir: root, prefix: '', uid: 0, gid: 0 },
      join(await blobDir, `${Date.now()}-${Math.random()}`),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A gzip layer held in memory, from a tar made by the system `tar` (exercises the copy path of sinks). */
export async function memoryLayerOf(files: Readonly<Record<string, Entry>>): Promise<Layer> {
  return memoryLayer(await tarOf(files));
}

let busyboxLayer: Promise<Layer> | undefined;

/** The rootfs layer: static busybox with `sh`, `cat`, `ls`, `echo`, `env` links and an /etc/passwd. */
export function busyboxRootfs(): Promise<Layer> {
  busyboxLayer ??= layerOf({
    'bin/busybox': { copy: busyboxPath(), mode: 0o755 },
    'bin/sh': { symlink: 'busybox' },
    'bin/cat': { symlink: 'busybox' },
    'bin/ls': { symlink: 'busybox' },
    'bin/echo': { symlink: 'busybox' },
    'bin/env': { symlink: 'busybox' },
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    'tmp/.keep': '',
  });
  return busyboxLayer;
}

/** A linux/amd64 base image: the busybox rootfs plus one more layer marking which base it is. */
export async function baseImage(name: string): Promise<Image> {
  const marker = await layerOf({ 'etc/base-name': `${name}\n` });
  return mutate(emptyImage({ os: 'linux', architecture: 'amd64' }), {
    addLayers: [
      { layer: await busyboxRootfs(), history: { created_by: 'busybox rootfs' } },
      { layer: marker, history: { created_by: `base ${name}` } },
    ],
    config: { env: { PATH: '/bin' }, cmd: ['/bin/sh'], labels: { 'test.base': name } },
  });
}

/** A fresh temp directory, removed by the returned function. */
export async function tempDir(prefix = 'img-test-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
