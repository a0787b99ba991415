import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LayerMediaType, layerCompression } from '../layer/index.ts';
import { sha256Digest, stableJson } from './json.ts';
import {
  type ContainerConfig,
  type Descriptor,
  type Image,
  type ImageConfig,
  type Layer,
  type Manifest,
  MediaType,
} from './types.ts';

/**
 * Building images from parts: the one place where manifests and configs are serialised, always with
 * sorted keys ({@link stableJson}) so that equal inputs give equal digests. Used by `mutate`, `rebase`
 * and the daemon source; also handy for tests (`memoryLayer`).
 */

/** Which family of media types a manifest uses. */
export type MediaTypeFamily = 'oci' | 'docker';

/** The uncompressed Docker layer media type (what `docker save` yields; not in the OCI set). */
export const dockerLayerTar = LayerMediaType.dockerTar;

/** The family of a manifest media type (absent or unknown → `oci`). */
export function familyOf(manifestMediaType: string | undefined): MediaTypeFamily {
  return manifestMediaType === MediaType.dockerManifest ? 'docker' : 'oci';
}

/** The layer media type equivalent to `mediaType` in `family` (unchanged where there is none, e.g. zstd). */
export function layerMediaTypeFor(mediaType: string, family: MediaTypeFamily): string {
  const gzip = mediaType === MediaType.ociLayerGzip || mediaType === MediaType.dockerLayerGzip;
  const tar = mediaType === MediaType.ociLayer || mediaType === dockerLayerTar;
  if (family === 'docker') {
    if (gzip) return MediaType.dockerLayerGzip;
    if (tar) return dockerLayerTar;
  } else {
    if (gzip) return MediaType.ociLayerGzip;
    if (tar) return MediaType.ociLayer;
  }
  return mediaType;
}

/**
 * A layer that reports another media type (same bytes); used when converting between families.
 * Everything else (including source-specific members such as a layout blob's `file`) is inherited.
 */
export function withMediaType(layer: Layer, mediaType: string): Layer {
  if (layer.mediaType === mediaType) return layer;
  return Object.create(layer, { mediaType: { value: mediaType, enumerable: true } }) as Layer;
}

/** An image config whose `rootfs` is not yet known. */
export interface ConfigInput {
  readonly architecture: string;
  readonly os: string;
  readonly config: ContainerConfig;
  readonly [key: string]: unknown;
}

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  /** Config; `rootfs` is derived from `layers` (any given one is replaced); extra keys are kept. */
  readonly config: ConfigInput;
  /** Layers in order; their media types are converted to `mediaTypes`' family. */
  readonly layers: readonly Layer[];
  /** Media type family of manifest, config and layers (default `oci`). */
  readonly mediaTypes?: MediaTypeFamily;
  /** Manifest annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Assembles an Image from a config and layers: `rootfs.diff_ids` from the layers, config and manifest
 * serialised deterministically, digest computed from the manifest bytes. No layer bytes are read.
 */
export function buildImage(opts: BuildImageOptions): Image {
  const family = opts.mediaTypes ?? 'oci';
  const layers = opts.layers.map((l) => withMediaType(l, layerMediaTypeFor(l.mediaType, family)));
  const config: ImageConfig = {
    ...opts.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
  };
  const rawConfig = stableJson(config);
  const configDescriptor: Descriptor = {
    mediaType: family === 'docker' ? MediaType.dockerConfig : MediaType.ociConfig,
    digest: sha256Digest(rawConfig),
    size: rawConfig.byteLength,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: family === 'docker' ? MediaType.dockerManifest : MediaType.ociManifest,
    config: configDescriptor,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(opts.annotations && Object.keys(opts.annotations).length > 0
      ? { annotations: { ...opts.annotations } }
      : {}),
  };
  const rawManifest = stableJson(manifest);
  return { digest: sha256Digest(rawManifest), manifest, rawManifest, config, rawConfig, layers };
}

/** An image without layers for `platform` (the start of an image built from scratch). */
export function emptyImage(
  platform: { readonly os: string; readonly architecture: string; readonly variant?: string } = {
    os: 'linux',
    architecture: 'amd64',
  },
  mediaTypes: MediaTypeFamily = 'oci',
): Image {
  return buildImage({
    config: { ...platform, config: {}, history: [] },
    layers: [],
    mediaTypes,
  });
}

/**
 * A layer held in memory, from an uncompressed tar (gzipped here unless `compression: 'none'`).
 * For small layers and tests; large layers come from `src/layer` (streamed, never held in memory).
 */
export function memoryLayer(
  tar: Uint8Array,
  opts: { readonly compression?: 'gzip' | 'none'; readonly family?: MediaTypeFamily } = {},
): Layer {
  const gzip = (opts.compression ?? 'gzip') === 'gzip';
  const blob = gzip ? gzipSync(tar, { level: 6 }) : tar;
  const ociType = gzip ? MediaType.ociLayerGzip : MediaType.ociLayer;
  return bytesLayer(blob, layerMediaTypeFor(ociType, opts.family ?? 'oci'));
}

/** A layer from an already compressed (or uncompressed tar) blob held in memory. */
export function bytesLayer(blob: Uint8Array, mediaType: string): Layer {
  const compression = layerCompression(mediaType);
  if (compression !== 'gzip' && compression !== 'none') {
    throw new TypeError(`bytesLayer: unsupported layer media type ${mediaType} (use a gzip or plain tar)`);
  }
  const copy = Buffer.from(blob);
  const tar = compression === 'gzip' ? gunzipSync(copy) : copy;
  return {
    digest: sha256Digest(copy),
    diffID: sha256Digest(tar),
    size: copy.byteLength,
    mediaType,
    compressed: async () => Readable.from([copy]),
    uncompressed: async () => Readable.from([tar]),
  };
}
