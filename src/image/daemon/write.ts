import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { layerCompression } from '../../layer/index.ts';
import { isLifecycleError, LifecycleError } from '../../platform/index.ts';
import { parseReference } from '../reference.ts';
import type { Image, Layer } from '../types.ts';
import type { DockerEngine } from './engine.ts';
import { type DaemonLayer, type DaemonOptions, engineFor } from './read.ts';

/** Options of {@link write}. */
export interface DaemonWriteOptions extends DaemonOptions {
  /** More tags for the image (the primary reference is always tagged). */
  readonly tags?: readonly string[];
  /**
   * Daemon images (names or IDs) whose layers the new image may share, e.g. the run image and the
   * previous image. Layers already in the daemon are not sent (classic layer store only).
   */
  readonly reuseFrom?: readonly string[];
}

/** What {@link write} did. */
export interface DaemonWriteResult {
  /** The daemon's image ID. */
  readonly id: string;
  /** Every `name:tag` the image now has from this write. */
  readonly tags: readonly string[];
  /** Layers streamed to the daemon, and layers it already had. */
  readonly layers: { readonly sent: number; readonly reused: number };
}

/**
 * Writes `image` to the daemon as `ref` (and `tags`) with one `POST /images/load` of a streamed
 * `docker save`-format tar (manifest.json, config, layer blobs — gzip blobs are sent as they are, the
 * daemon inflates them). Layers whose chain the daemon already has (computed from `reuseFrom`, `ref`
 * and the daemon images that layers were read from) are sent as empty placeholders, which the
 * classic layer store skips; should the daemon refuse, the load is retried with every layer.
 */
export async function write(
  ref: string,
  image: Image,
  opts: DaemonWriteOptions = {},
): Promise<DaemonWriteResult> {
  const engine = engineFor(opts);
  const tags = [ref, ...(opts.tags ?? [])].map((t) => repoTag(t, engine.host));
  const chains = chainIDs(image.config.rootfs.diff_ids);
  let existing = new Set<string>();
  if (!(await usesContainerdStore(engine, opts.signal)))
    existing = await knownChains(engine, ref, image, opts);
  const skip = chains.map((c) => existing.has(c));
  const what = `load image ${tags[0]}`;
  let sent: number;
  try {
    sent = await load(engine, image, tags, skip, what, opts);
  } catch (e) {
    // only a daemon refusal (e.g. a layer it was assumed to have is gone) is worth a full retry
    const refused = isLifecycleError(e) && (e.code === 'ERR_DOCKER_LOAD' || e.code === 'ERR_DOCKER_STATUS');
    if (!refused || !skip.some(Boolean) || opts.signal?.aborted) throw e;
    sent = await load(
      engine,
      image,
      tags,
      skip.map(() => false),
      what,
      opts,
    );
  }
  const info = await engine.inspectImage(tags[0]!, opts.signal);
  if (info === undefined) {
    throw new LifecycleError(
      'ERR_DOCKER_LOAD',
      'failed',
      `docker daemon at ${engine.host}: ${tags[0]} is missing after loading it`,
    );
  }
  return { id: info.Id, tags, layers: { sent, reused: image.layers.length - sent } };
}

/** `name:tag` as docker load's manifest.json wants it; digest references cannot be tags. */
function repoTag(input: string, host: string): string {
  const r = parseReference(input);
  if (r.tag === undefined || r.digest !== undefined) {
    throw new LifecycleError(
      'ERR_IMAGE_REFERENCE',
      'invalidArgs',
      `cannot tag an image as ${input} in the docker daemon at ${host}: a daemon tag needs name:tag, not a digest`,
    );
  }
  return `${r.name}:${r.tag}`;
}

/** Chain IDs of every prefix of `diffIDs` (the daemon's layer-store keys). */
export function chainIDs(diffIDs: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

async function usesContainerdStore(engine: DockerEngine, signal?: AbortSignal): Promise<boolean> {
  const info = await engine.info(signal);
  const status = (info['DriverStatus'] ?? []) as [string, string][];
  return status.some(([k, v]) => k === 'driver-type' && v === 'io.containerd.snapshotter.v1');
}

async function knownChains(
  engine: DockerEngine,
  ref: string,
  image: Image,
  opts: DaemonWriteOptions,
): Promise<Set<string>> {
  const known = new Set<string>();
  const names = new Set<string>([ref, ...(opts.reuseFrom ?? [])]);
  for (const l of image.layers) {
    const src = (l as Partial<DaemonLayer>).source;
    if (src !== undefined && src.host === engine.host) names.add(src.imageId);
  }
  await Promise.all(
    [...names].map(async (name) => {
      const info = await engine.inspectImage(name, opts.signal).catch(() => undefined);
      for (const c of chainIDs(info?.RootFS?.Layers ?? [])) known.add(c);
    }),
  );
  return known;
}

/** One `POST /images/load`; returns how many layers were sent. */
async function load(
  engine: DockerEngine,
  image: Image,
  tags: readonly string[],
  skip: readonly boolean[],
  what: string,
  opts: DaemonWriteOptions,
): Promise<number> {
  const tar = pack();
  const spool: { dir?: string } = {};
  const layerNames: string[] = [];
  const sentNames = new Set<string>();
  const plan = image.layers.map((layer, i) => {
    if (skip[i]) return { name: `blank_${i}`, layer: undefined };
    return { name: `${layer.diffID.replace(/^sha256:/, '')}.tar`, layer };
  });
  for (const p of plan) layerNames.push(p.name);
  const configName = `${image.manifest.config.digest.replace(/^sha256:/, '')}.json`;
  const manifest = [{ Config: configName, RepoTags: tags, Layers: layerNames }];
  let sent = 0;
  const produce = (async () => {
    await entry(tar, 'manifest.json', Buffer.from(JSON.stringify(manifest)));
    await entry(tar, configName, Buffer.from(image.rawConfig));
    for (const p of plan) {
      if (p.layer === undefined) {
        if (!sentNames.has(p.name)) await entry(tar, p.name, Buffer.alloc(0));
      } else if (!sentNames.has(p.name)) {
        const { stream, size } = await layerBytes(p.layer, spool, opts);
        await streamEntry(tar, p.name, stream, size);
        sent++;
      }
      sentNames.add(p.name);
    }
    tar.finalize();
  })();
  let first: 'produce' | 'load' | undefined;
  const produced = produce.then(
    () => undefined,
    (e: unknown) => {
      first ??= 'produce';
      tar.destroy(e as Error);
      return e;
    },
  );
  const loaded = engine.loadImage(tar as unknown as Readable, what, opts.signal).then(
    () => undefined,
    (e: unknown) => {
      first ??= 'load';
      if (!tar.destroyed) tar.destroy(new Error('the daemon stopped reading the image'));
      return e;
    },
  );
  try {
    const [produceErr, loadErr] = await Promise.all([produced, loaded]);
    if (produceErr !== undefined && (first === 'produce' || loadErr === undefined)) throw produceErr;
    if (loadErr !== undefined) throw loadErr;
    return sent;
  } finally {
    if (spool.dir !== undefined) await rm(spool.dir, { recursive: true, force: true });
  }
}

/** Streams `source` as the tar entry `name` of `size` bytes, respecting backpressure. */
async function streamEntry(
  tar: ReturnType<typeof pack>,
  name: string,
  source: Readable,
  size: number,
): Promise<void> {
  let done!: Promise<void>;
  const sink = await new Promise<Writable>((resolveSink) => {
    done = new Promise<void>((resolve, reject) => {
      resolveSink(
        tar.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (err) =>
          err ? reject(err) : resolve(),
        ) as unknown as Writable,
      );
    });
  });
  try {
    for await (const chunk of source) {
      if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
    }
  } catch (e) {
    sink.destroy(e as Error);
    await done.catch(() => undefined);
    throw e;
  }
  sink.end();
  await done;
}

function entry(tar: ReturnType<typeof pack>, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ name, size: bytes.byteLength, mode: 0o644, mtime: new Date(0) }, bytes, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

/**
 * The bytes docker load takes for a layer, with their length (needed up front in the tar header):
 * the gzip or plain blob as stored; daemon layers from their saved tar; anything else (zstd, unknown
 * size) spooled uncompressed to a temp file first.
 */
async function layerBytes(
  layer: Layer,
  spool: { dir?: string },
  opts: DaemonWriteOptions,
): Promise<{ stream: Readable; size: number }> {
  const daemonLayer = layer as Partial<DaemonLayer>;
  if (typeof daemonLayer.open === 'function') return daemonLayer.open(opts.signal);
  if (
    layer.size >= 0 &&
    (layerCompression(layer.mediaType) === 'gzip' || layerCompression(layer.mediaType) === 'none')
  ) {
    return { stream: await layer.compressed(opts.signal), size: layer.size };
  }
  spool.dir ??= await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'daemon-load-'));
  const file = join(spool.dir, layer.diffID.replace(/^sha256:/, ''));
  await pipeline(await layer.uncompressed(opts.signal), createWriteStream(file));
  return { stream: createReadStream(file), size: (await stat(file)).size };
}
