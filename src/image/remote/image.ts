import type { Readable } from 'node:stream';
import { decompressLayer } from '../../layer/index.ts';
import { LifecycleError, messageOf } from '../../platform/index.ts';
import { parseJsonBytes } from '../json.ts';
import { type Reference, toReference } from '../reference.ts';
import type { Descriptor, Image, ImageConfig, Index, Layer, Manifest } from '../types.ts';
import { MediaType } from '../types.ts';
import { getBlob, getBlobBytes } from './blob-read.ts';
import { RegistryClient } from './client.ts';
import { getManifest, isIndexMediaType, type RawManifest } from './manifest.ts';
import { type PlatformSpec, type RemoteOptions, resolveOptions } from './options.ts';

/** Where a layer's blob lives (used by `write` to mount instead of upload). */
export interface BlobOrigin {
  readonly registry: string;
  readonly repository: string;
}

function destroyOnAbort(stream: Readable, signal: AbortSignal | undefined): Readable {
  if (signal === undefined) return stream;
  if (signal.aborted) stream.destroy(signal.reason as Error);
  else signal.addEventListener('abort', () => stream.destroy(signal.reason as Error), { once: true });
  return stream;
}

/** A layer whose bytes stay in the registry until streamed (verified while streaming). */
export class RemoteLayer implements Layer {
  readonly digest: string;
  readonly diffID: string;
  readonly size: number;
  readonly mediaType: string;
  readonly origin: BlobOrigin;
  private readonly client: RegistryClient;

  constructor(client: RegistryClient, desc: Descriptor, diffID: string) {
    this.client = client;
    this.digest = desc.digest;
    this.size = desc.size;
    this.mediaType = desc.mediaType;
    this.diffID = diffID;
    this.origin = { registry: client.registry, repository: client.repository };
  }

  async compressed(signal?: AbortSignal): Promise<Readable> {
    return destroyOnAbort(await getBlob(this.client, this.digest, this.size), signal);
  }

  async uncompressed(signal?: AbortSignal): Promise<Readable> {
    return decompressLayer(
      await this.compressed(signal),
      this.mediaType,
      this.diffID,
      `layer ${this.digest} from registry ${this.origin.registry}, repository ${this.origin.repository}`,
    );
  }
}

const imageOrigins = new WeakMap<Image, BlobOrigin>();

/** The registry repository an image was read from by `remote.image` (undefined for any other image). */
export function imageOrigin(img: Image): BlobOrigin | undefined {
  return imageOrigins.get(img);
}

/** The layer's registry origin when it came from `remote.image`. */
export function layerOrigin(layer: Layer): BlobOrigin | undefined {
  return layer instanceof RemoteLayer ? layer.origin : undefined;
}

/** An image read from a registry. */
export interface RemoteImage extends Image {
  readonly reference: Reference;
  /** The index the image was selected from, when the reference named one. */
  readonly index?: { readonly digest: string; readonly manifest: Index };
}

function badImage(ref: Reference, why: string): LifecycleError {
  return new LifecycleError(
    'ERR_IMAGE_INVALID',
    'failed',
    `image ${ref.toString()} (registry ${ref.registry}, repository ${ref.repository}) ${why}`,
  );
}

function describePlatform(p: { os?: string; architecture?: string; variant?: string } | undefined): string {
  if (p === undefined) return '(no platform)';
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

/** Picks the index entry for a platform (exact variant when asked for, else the first os/arch match). */
export function selectPlatform(index: Index, platform: PlatformSpec): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (d) =>
      d.platform?.os === platform.os &&
      d.platform.architecture === platform.architecture &&
      !isIndexMediaType(d.mediaType),
  );
  if (platform.variant !== undefined) {
    return (
      candidates.find((d) => d.platform?.variant === platform.variant) ??
      candidates.find((d) => d.platform?.variant === undefined)
    );
  }
  return candidates[0];
}

function parseJson<T>(ref: Reference, bytes: Uint8Array, what: string): T {
  try {
    return parseJsonBytes<T>(bytes, what);
  } catch (e) {
    throw badImage(ref, `cannot be read: its ${messageOf(e)}`);
  }
}

async function resolveManifest(client: RegistryClient, ref: Reference, platform: PlatformSpec) {
  let raw: RawManifest = await getManifest(client, ref.identifier);
  let index: { digest: string; manifest: Index } | undefined;
  if (isIndexMediaType(raw.mediaType)) {
    const manifest = parseJson<Index>(ref, raw.bytes, 'index');
    if (!Array.isArray(manifest.manifests)) throw badImage(ref, 'has an index without manifests');
    index = { digest: raw.digest, manifest };
    const entry = selectPlatform(manifest, platform);
    if (entry === undefined) {
      const have = manifest.manifests.map((d) => describePlatform(d.platform)).join(', ') || 'none';
      throw badImage(
        ref,
        `has no ${describePlatform(platform)} entry in its index (it has: ${have}); pick an image built for ${describePlatform(platform)}`,
      );
    }
    raw = await getManifest(client, entry.digest);
  }
  if (raw.mediaType !== MediaType.ociManifest && raw.mediaType !== MediaType.dockerManifest) {
    throw badImage(
      ref,
      `has an unsupported manifest type ${raw.mediaType} (OCI and Docker v2 schema 2 are supported); re-push it with a current tool`,
    );
  }
  const manifest = parseJson<Manifest>(ref, raw.bytes, 'manifest');
  if (
    manifest.schemaVersion !== 2 ||
    manifest.config?.digest === undefined ||
    !Array.isArray(manifest.layers)
  ) {
    throw badImage(ref, 'has a malformed manifest (schemaVersion 2 with config and layers expected)');
  }
  return { raw, manifest, index };
}

/**
 * Reads an image from a registry: manifest (the platform's entry when the reference names an index) and
 * config now, layers lazily. Compressed and uncompressed layer streams are verified while they stream.
 */
export async function image(
  reference: string | Reference,
  options: RemoteOptions = {},
): Promise<RemoteImage> {
  const ref = toReference(reference);
  const opts = resolveOptions(options);
  const client = new RegistryClient(ref.registry, ref.repository, opts, 'pull');
  const { raw, manifest, index } = await resolveManifest(client, ref, opts.platform);
  const rawConfig = await getBlobBytes(client, manifest.config.digest);
  const config = parseJson<ImageConfig>(ref, rawConfig, 'config');
  const diffIDs = config.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== manifest.layers.length) {
    throw badImage(ref, `has ${manifest.layers.length} layers but ${diffIDs.length} diff_ids in its config`);
  }
  const layers = manifest.layers.map((d, i) => new RemoteLayer(client, d, diffIDs[i]!));
  const result: RemoteImage = {
    reference: ref,
    digest: raw.digest,
    manifest: manifest.mediaType === undefined ? { ...manifest, mediaType: raw.mediaType } : manifest,
    rawManifest: raw.bytes,
    config,
    rawConfig,
    layers,
    ...(index === undefined ? {} : { index }),
  };
  imageOrigins.set(result, { registry: ref.registry, repository: ref.repository });
  return result;
}
