import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { LifecycleError, messageOf, parseBoundedJson } from '../../platform/index.ts';
import type { DockerEngine } from './engine.ts';

/**
 * Reading `docker save` output (`GET /images/get`): the tar is unpacked into a private directory
 * (regular files only, paths confined to it), then `manifest.json` says which file is the config
 * and which are the layer tars (uncompressed, in `rootfs.diff_ids` order).
 */

/** An image saved from the daemon into `dir`. */
export interface SavedImage {
  readonly dir: string;
  readonly rawConfig: Buffer;
  /** Absolute paths of the layer tars, in order. */
  readonly layerFiles: readonly string[];
  /** Their sizes in bytes. */
  readonly layerSizes: readonly number[];
}

/** Saves `name` (an image ID or reference) from the daemon into `dir` (created; must be empty). */
export async function saveToDir(
  engine: DockerEngine,
  name: string,
  dir: string,
  signal?: AbortSignal,
): Promise<SavedImage> {
  await mkdir(dir, { recursive: true });
  const tar = await engine.saveImage(name, signal);
  const ex = extract();
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex as unknown as NodeJS.WritableStream);
  // docker save stores a repeated layer once and links the others to it (`<id>/layer.tar -> ../<id2>/layer.tar`)
  const links = new Map<string, string>();
  try {
    for await (const entry of ex) {
      const path = confined(dir, entry.header.name);
      if (entry.header.type === 'symlink' && path !== undefined && entry.header.linkname) {
        const target = confined(dir, join(dirname(relative(dir, path)), entry.header.linkname));
        if (target !== undefined) links.set(path, target);
      }
      if (entry.header.type !== 'file' || path === undefined) {
        entry.resume();
        continue;
      }
      await mkdir(dirname(path), { recursive: true });
      await pipeline(entry, createWriteStream(path), ...(signal ? [{ signal }] : []));
    }
  } catch (e) {
    tar.destroy();
    if (e instanceof LifecycleError) throw e;
    throw new LifecycleError(
      'ERR_DOCKER_SAVE',
      'failed',
      `docker daemon at ${engine.host}: saving image ${name} failed: ${messageOf(e)}; check the daemon and free space in ${dir}`,
      { cause: e },
    );
  }
  let items: { Config?: string; Layers?: string[] }[];
  try {
    items = parseBoundedJson(await readFile(join(dir, 'manifest.json')), 'manifest.json') as typeof items;
  } catch (e) {
    throw new LifecycleError(
      'ERR_DOCKER_SAVE',
      'failed',
      `docker daemon at ${engine.host}: the saved image ${name} has no readable manifest.json (${messageOf(e)})`,
      { cause: e },
    );
  }
  const item = items[0];
  const configFile = item?.Config === undefined ? undefined : confined(dir, item.Config);
  if (items.length !== 1 || configFile === undefined) {
    throw new LifecycleError(
      'ERR_DOCKER_SAVE',
      'failed',
      `docker daemon at ${engine.host}: the saved image ${name} has ${items.length} manifest entries, expected one with a config`,
    );
  }
  const layerFiles = (item?.Layers ?? []).map((l) => {
    let p = confined(dir, l);
    for (let hops = 0; p !== undefined && links.has(p) && hops < 16; hops++) p = links.get(p);
    if (p === undefined)
      throw new LifecycleError('ERR_DOCKER_SAVE', 'failed', `docker save of ${name}: bad layer path ${l}`);
    return p;
  });
  const layerSizes = await Promise.all(layerFiles.map(async (f) => (await stat(f)).size));
  for (const f of layerFiles) {
    if (await isGzip(f)) {
      throw new LifecycleError(
        'ERR_DOCKER_SAVE',
        'failed',
        `docker daemon at ${engine.host}: the saved image ${name} has compressed layers (the containerd image ` +
          'store?); only the classic layer store, whose `docker save` yields plain tars, is supported',
      );
    }
  }
  return { dir, rawConfig: await readFile(configFile), layerFiles, layerSizes };
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** `dir/name` when `name` stays inside `dir`, else undefined. */
function confined(dir: string, name: string): string | undefined {
  const rel = normalize(name).replace(/^(\.\/)+/, '');
  if (rel.startsWith('..') || rel.startsWith(sep) || rel === '.' || rel === '') return undefined;
  return join(dir, rel);
}
