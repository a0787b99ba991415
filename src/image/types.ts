import { type Layer, LayerMediaType } from '../layer/index.ts';

export type { Layer };

/**
 * The read-only image model (DESIGN.md "Style" 2, modelled on go-containerregistry's v1.Image/v1.Layer).
 * Every source (remote, layout, daemon) produces these; every sink (remote, layout, daemon) consumes them.
 */

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: LayerMediaType.ociTar,
  ociLayerGzip: LayerMediaType.ociGzip,
  ociLayerZstd: LayerMediaType.ociZstd,
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: LayerMediaType.dockerGzip,
  dockerForeignLayerGzip: LayerMediaType.dockerForeignGzip,
} as const;

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
}

/** OCI image manifest / Docker v2 schema 2 manifest. */
export interface Manifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** OCI image index / Docker manifest list. */
export interface Index {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: boolean;
}

/** OCI image config (the subset the lifecycle reads and writes; unknown keys are preserved by sources). */
export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly created?: string;
  readonly author?: string;
  readonly config: ContainerConfig;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
  readonly history?: readonly HistoryEntry[];
  readonly [key: string]: unknown;
}

export interface ContainerConfig {
  readonly User?: string;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[] | null;
  readonly Cmd?: readonly string[] | null;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly ExposedPorts?: Readonly<Record<string, object>>;
  readonly Volumes?: Readonly<Record<string, object>>;
  readonly StopSignal?: string;
  readonly [key: string]: unknown;
}

/** A read-only image. */
export interface Image {
  /** Digest of the manifest bytes (`sha256:<hex>`). */
  readonly digest: string;
  readonly manifest: Manifest;
  /** The exact manifest bytes (their sha256 is `digest`). */
  readonly rawManifest: Uint8Array;
  readonly config: ImageConfig;
  /** The exact config bytes (their sha256 is manifest.config.digest). */
  readonly rawConfig: Uint8Array;
  /** Layers in manifest order (index i pairs with config.rootfs.diff_ids[i]). */
  readonly layers: readonly Layer[];
}
