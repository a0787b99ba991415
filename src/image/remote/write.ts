import { Readable } from 'node:stream';
import { LifecycleError, linkedController, mapLimit } from '../../platform/index.ts';
import { type Reference, toReference } from '../reference.ts';
import { type Image, type Layer, MediaType } from '../types.ts';
import { type BlobSource, pushBlob } from './blob.ts';
import { MAX_CONFIG_BYTES } from './blob-read.ts';
import { RegistryClient } from './client.ts';
import { blobKey } from './early.ts';
import { imageOrigin, layerOrigin } from './image.ts';
import { putManifest } from './manifest.ts';
import { type RemoteOptions, type ResolvedOptions, resolveOptions } from './options.ts';

/** What a push produced. */
export interface WriteResult {
  readonly reference: Reference;
  /** Digest of the manifest pushed (`sha256:<hex>`). */
  readonly digest: string;
  /** Size in bytes of the manifest pushed. */
  readonly size: number;
  readonly mediaType: string;
}

/** The manifest media type of an image (its own, else by its config's media type). */
export function manifestMediaType(img: Image): string {
  if (img.manifest.mediaType !== undefined) return img.manifest.mediaType;
  return img.manifest.config.mediaType === MediaType.dockerConfig
    ? MediaType.dockerManifest
    : MediaType.ociManifest;
}

function isForeign(layer: Layer): boolean {
  return layer.mediaType === MediaType.dockerForeignLayerGzip || layer.mediaType.includes('nondistributable');
}

/**
 * Pushes every blob of `img` (layers and config, with bounded parallelism) into `ref`'s repository.
 * Blobs mount from the repository they came from on the same registry, else from `pushedTo` (a
 * repository of the same registry that already holds every blob of `img`).
 */
export async function pushBlobs(
  ref: Reference,
  img: Image,
  resolved: ResolvedOptions,
  pushedTo?: string,
): Promise<RegistryClient> {
  const sameRegistryOrigins = new Map<string, string>();
  const origin = imageOrigin(img);
  const other = (o: { registry: string; repository: string } | undefined) =>
    o?.registry === ref.registry && o.repository !== ref.repository ? o.repository : undefined;
  const fallback = pushedTo !== ref.repository ? pushedTo : undefined;
  const configFrom = other(origin) ?? fallback;
  if (configFrom !== undefined) sameRegistryOrigins.set(img.manifest.config.digest, configFrom);
  for (const l of img.layers) {
    const from = other(layerOrigin(l)) ?? fallback;
    if (from !== undefined) sameRegistryOrigins.set(l.digest, from);
  }
  // One signal for the client: the caller's cancellation or the first failed upload aborts every
  // in-flight request of the push (mapLimit stops starting new ones).
  const { ac, done } = linkedController(resolved.signal, 4 * resolved.concurrency);
  try {
    return await pushAll(ref, img, { ...resolved, signal: ac.signal }, ac, sameRegistryOrigins, configFrom);
  } finally {
    done();
  }
}

async function pushAll(
  ref: Reference,
  img: Image,
  opts: ResolvedOptions,
  ac: AbortController,
  sameRegistryOrigins: ReadonlyMap<string, string>,
  configFrom: string | undefined,
): Promise<RegistryClient> {
  const client = new RegistryClient(ref.registry, ref.repository, opts, 'push', [
    ...new Set(sameRegistryOrigins.values()),
  ]);
  const seen = new Set<string>();
  // The config first (it is tiny); only the manifest must wait for every blob.
  const sources: { source: BlobSource; from: string | undefined }[] = [
    {
      source: {
        digest: img.manifest.config.digest,
        size: img.rawConfig.byteLength,
        open: async () => Readable.from([Buffer.from(img.rawConfig)]),
      },
      from: configFrom,
    },
  ];
  for (const layer of img.layers) {
    if (isForeign(layer) || seen.has(layer.digest)) continue;
    seen.add(layer.digest);
    sources.push({
      source: { digest: layer.digest, size: layer.size, open: () => layer.compressed(opts.signal) },
      from: sameRegistryOrigins.get(layer.digest),
    });
  }
  // Blobs nobody is sending yet (mounts, the base image's, reused ones) start before those this session
  // sent early (D-383), which are only waited for: the last early upload then overlaps the rest.
  const early = (s: BlobSource) => opts.session.blobs.has(blobKey(ref.registry, ref.repository, s.digest));
  const ordered = [...sources.filter((s) => !early(s.source)), ...sources.filter((s) => early(s.source))];
  await mapLimit(
    ordered,
    opts.concurrency,
    async ({ source, from }) => {
      try {
        // D-383: a blob sent early in this session (early.ts) is waited for, not checked or sent again.
        const early = opts.session.blobs.get(blobKey(ref.registry, ref.repository, source.digest));
        if (early !== undefined && (await early)) return;
        await pushBlob(client, source, from);
      } catch (e) {
        ac.abort(e);
        throw e;
      }
    },
    { signal: ac.signal },
  );
  return client;
}

/** Refuses a push that cannot be right: a reference pinning another digest, a config too large to read back. */
export function checkWritable(ref: Reference, img: Image): void {
  if (ref.digest !== undefined && ref.digest !== img.digest) {
    throw new LifecycleError(
      'ERR_IMAGE_REFERENCE',
      'invalidArgs',
      `cannot push image ${img.digest} to ${ref.toString()}: the reference pins another digest; push to a tag instead`,
    );
  }
  if (img.rawConfig.byteLength > MAX_CONFIG_BYTES) {
    // D-214: never push an image whose config the lifecycle's own reader refuses.
    throw new LifecycleError(
      'ERR_CONFIG_TOO_LARGE',
      'failed',
      `cannot push ${ref.toString()}: its config is ${img.rawConfig.byteLength} bytes, more than the ` +
        `${MAX_CONFIG_BYTES} bytes (16 MiB) the lifecycle reads back; make its labels smaller`,
    );
  }
}

/**
 * Pushes an image to `reference`: every layer blob (HEAD first so existing blobs never move; mounted
 * from another repository of the same registry when the layer came from there; bounded parallel
 * uploads), then the config, then the manifest (under the reference's tag, or its digest).
 */
export async function write(
  reference: string | Reference,
  img: Image,
  options: RemoteOptions = {},
): Promise<WriteResult> {
  const ref = toReference(reference);
  checkWritable(ref, img);
  const opts = resolveOptions(options);
  const client = await pushBlobs(ref, img, opts);
  const mediaType = manifestMediaType(img);
  const digest = await putManifest(client, ref.tag ?? ref.identifier, img.rawManifest, mediaType);
  return { reference: ref, digest, size: img.rawManifest.byteLength, mediaType };
}

/**
 * Adds another tag (possibly in another repository of the same or another registry) for an image:
 * the manifest is put directly when the registry already has the blobs there, else the image is written.
 */
export async function tag(
  reference: string | Reference,
  img: Image,
  options: RemoteOptions = {},
): Promise<WriteResult> {
  const ref = toReference(reference);
  const opts = resolveOptions(options);
  const mediaType = manifestMediaType(img);
  const client = new RegistryClient(ref.registry, ref.repository, opts, 'push');
  try {
    const digest = await putManifest(client, ref.tag ?? ref.identifier, img.rawManifest, mediaType);
    return { reference: ref, digest, size: img.rawManifest.byteLength, mediaType };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const message = (e as Error).message ?? '';
    const missingBlobs = code === 'ERR_REGISTRY_STATUS' && /BLOB_UNKNOWN|HTTP 400/.test(message);
    if (!missingBlobs && code !== 'ERR_REGISTRY_NOT_FOUND') throw e;
  }
  return write(ref, img, { ...options, stats: opts.stats, session: opts.session });
}
