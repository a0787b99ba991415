import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { verifyDigest } from '../../layer/index.ts';
import { LifecycleError } from '../../platform/index.ts';
import { buildImage, type ConfigInput, dockerLayerTar } from '../assemble.ts';
import { parseJsonBytes, sha256Digest, stableJson } from '../json.ts';
import { type Image, type ImageConfig, type Layer, type Manifest, MediaType } from '../types.ts';
import { DockerEngine, type ImageInspect } from './engine.ts';
import { type SavedImage, saveToDir } from './save.ts';

/** Options shared by the daemon functions. */
export interface DaemonOptions {
  /** Daemon address (`unix:///…` or `tcp://…`); default `unix:///var/run/docker.sock`. */
  readonly host?: string;
  /** An engine client to reuse (wins over `host`). */
  readonly engine?: DockerEngine;
  /** Where `docker save` output is unpacked when layer bytes are needed (default: the OS temp dir). */
  readonly tmpDir?: string;
  readonly signal?: AbortSignal;
}

/** A layer of a daemon image; its bytes come from one `docker save` of that image, done on first use. */
export interface DaemonLayer extends Layer {
  /** The daemon image the layer was read from and its full diffID list (for layer reuse on write). */
  readonly source: { readonly host: string; readonly imageId: string; readonly diffIDs: readonly string[] };
  /** The uncompressed tar with its byte length (verified against diffID while read). */
  open(signal?: AbortSignal): Promise<{ stream: Readable; size: number }>;
}

/** An image read from a Docker daemon. */
export interface DaemonImage extends Image {
  /** The daemon's image ID (`sha256:…`), what analyzed.toml records for daemon images. */
  readonly id: string;
  readonly host: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly layers: readonly DaemonLayer[];
  /** Removes the temporary copy of the image made when layer bytes were read. */
  dispose(): Promise<void>;
}

const engines = new Map<string, DockerEngine>();

/** The engine for `opts` (one shared client per host). */
export function engineFor(opts: DaemonOptions): DockerEngine {
  if (opts.engine) return opts.engine;
  const host = opts.host ?? 'unix:///var/run/docker.sock';
  let e = engines.get(host);
  if (!e) {
    e = new DockerEngine(host);
    engines.set(host, e);
  }
  return e;
}

/** `docker image inspect`: the daemon's view of `ref` (name or ID), or undefined when it has no such image. */
export function inspect(ref: string, opts: DaemonOptions = {}): Promise<ImageInspect | undefined> {
  return engineFor(opts).inspectImage(ref, opts.signal);
}

/**
 * An image in the daemon, from `inspect` only: config (rebuilt from the inspect data like the reference's
 * imgutil does; its bytes are not the daemon's), diffIDs and ID. Layer bytes are read lazily through one
 * `docker save` shared by all layers; until then layer sizes are unknown (`-1`) and each layer is
 * described by its diffID as an uncompressed Docker layer. The daemon sink needs none of this for
 * layers the daemon already has. For exact bytes (to write elsewhere) use {@link save}.
 * @throws LifecycleError `ERR_IMAGE_NOT_FOUND` when the daemon has no such image.
 */
export async function image(ref: string, opts: DaemonOptions = {}): Promise<DaemonImage> {
  const engine = engineFor(opts);
  const info = await mustInspect(engine, ref, opts.signal);
  const diffIDs = info.RootFS?.Layers ?? [];
  let saved: Promise<SavedImage> | undefined;
  let dir: string | undefined;
  const ensureSaved = (signal?: AbortSignal): Promise<SavedImage> => {
    saved ??= (async () => {
      dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'daemon-save-'));
      const s = await saveToDir(engine, info.Id, join(dir, 'image'), signal);
      if (s.layerFiles.length !== diffIDs.length) {
        throw new LifecycleError(
          'ERR_DOCKER_SAVE',
          'failed',
          `docker daemon at ${engine.host}: saved image ${ref} has ${s.layerFiles.length} layers, inspect said ${diffIDs.length}`,
        );
      }
      return s;
    })();
    saved.catch(() => {
      saved = undefined;
    });
    return saved;
  };
  const source = { host: engine.host, imageId: info.Id, diffIDs };
  const layers = diffIDs.map((diffID, i): DaemonLayer => {
    const open = async (signal?: AbortSignal) => {
      const s = await ensureSaved(signal);
      const size = s.layerSizes[i]!;
      const file = createReadStream(s.layerFiles[i]!, signal ? { signal } : {});
      const what = `layer ${diffID} of image ${ref} saved from the docker daemon at ${engine.host}`;
      return { stream: verifyDigest(file, diffID, size, what), size };
    };
    return {
      digest: diffID,
      diffID,
      size: -1,
      mediaType: dockerLayerTar,
      source,
      open,
      compressed: async (signal) => (await open(signal)).stream,
      uncompressed: async (signal) => (await open(signal)).stream,
    };
  });
  const built = buildImage({ config: configFromInspect(info), layers, mediaTypes: 'docker' });
  return {
    ...built,
    layers,
    id: info.Id,
    host: engine.host,
    repoTags: info.RepoTags ?? [],
    repoDigests: info.RepoDigests ?? [],
    dispose: async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      saved = undefined;
      dir = undefined;
    },
  };
}

/**
 * `docker save` of `ref` into a temp directory, as an exact Image: the daemon's config bytes, a Docker
 * v2 schema 2 manifest whose layers are the uncompressed tars (digest = diffID, real sizes). Layer
 * objects carry `file`, so `layout.write` hard-links them. Call `dispose()` to remove the copy.
 */
export async function save(ref: string, opts: DaemonOptions = {}): Promise<DaemonImage> {
  const engine = engineFor(opts);
  const info = await mustInspect(engine, ref, opts.signal);
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'daemon-save-'));
  try {
    const s = await saveToDir(engine, info.Id, join(dir, 'image'), opts.signal);
    const config = parseJsonBytes<ImageConfig>(s.rawConfig, `config of image ${ref}`);
    const diffIDs = config.rootfs?.diff_ids ?? [];
    const source = { host: engine.host, imageId: info.Id, diffIDs };
    const layers = diffIDs.map((diffID, i): DaemonLayer & { file: string } => {
      const size = s.layerSizes[i] ?? -1;
      const file = s.layerFiles[i]!;
      const what = `layer ${diffID} of image ${ref} saved from the docker daemon at ${engine.host}`;
      const open = async (signal?: AbortSignal) => ({
        stream: verifyDigest(createReadStream(file, signal ? { signal } : {}), diffID, size, what),
        size,
      });
      return {
        digest: diffID,
        diffID,
        size,
        mediaType: dockerLayerTar,
        file,
        source,
        open,
        compressed: async (signal) => (await open(signal)).stream,
        uncompressed: async (signal) => (await open(signal)).stream,
      };
    });
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: {
        mediaType: MediaType.dockerConfig,
        digest: sha256Digest(s.rawConfig),
        size: s.rawConfig.byteLength,
      },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    const rawManifest = stableJson(manifest);
    return {
      digest: sha256Digest(rawManifest),
      manifest,
      rawManifest,
      config,
      rawConfig: s.rawConfig,
      layers,
      id: info.Id,
      host: engine.host,
      repoTags: info.RepoTags ?? [],
      repoDigests: info.RepoDigests ?? [],
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function mustInspect(engine: DockerEngine, ref: string, signal?: AbortSignal): Promise<ImageInspect> {
  const info = await engine.inspectImage(ref, signal);
  if (info === undefined) {
    throw new LifecycleError(
      'ERR_IMAGE_NOT_FOUND',
      'failed',
      `the docker daemon at ${engine.host} has no image ${ref}; pull or load it first (docker pull ${ref})`,
    );
  }
  return info;
}

/** The image config the inspect data describes; empty container-config members are dropped. */
export function configFromInspect(info: ImageInspect): ConfigInput {
  const container: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info.Config ?? {})) {
    const empty =
      v === null ||
      v === '' ||
      v === false ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (!empty) container[k] = v;
  }
  return {
    architecture: info.Architecture ?? 'amd64',
    os: info.Os ?? 'linux',
    ...(info.Variant ? { variant: info.Variant } : {}),
    ...(info.OsVersion ? { 'os.version': info.OsVersion } : {}),
    ...(info.Created ? { created: info.Created } : {}),
    ...(info.Author ? { author: info.Author } : {}),
    config: container,
  };
}
