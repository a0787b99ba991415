import type { Report } from '../files/index.ts';
import type { Image } from '../image/index.ts';
import type { ApiVersion } from '../platform/index.ts';
import type { LauncherInfo } from './export-config.ts';
import type { ImageStoreInputs } from './image-store.ts';

export type { LauncherInfo };

/** Inputs of the exporter (platform.md "exporter" Inputs); every path absolute. */
export interface ExportOptions extends ImageStoreInputs {
  /** The output image first, then extra tags. */
  readonly images: readonly string[];
  readonly analyzed: string;
  readonly group: string;
  readonly layers: string;
  readonly app: string;
  readonly launcher: string;
  /** `-launcher-sbom` (default `/cnb/lifecycle`). */
  readonly launcherSbom: string;
  readonly projectMetadata: string;
  readonly report: string;
  /** `-run` (run.toml, Platform API 0.12+): the run image's `image` and `mirrors` for the label. */
  readonly run: string;
  /** `-stack` (stack.toml, before 0.12): `[run-image]` for the label instead of run.toml. */
  readonly stack?: string;
  /** SOURCE_DATE_EPOCH as given (the CLI edge reads it): the image creation time, from Platform API 0.9. */
  readonly sourceDateEpoch?: string | undefined;
  /** CNB_EXEC_ENV (the CLI edge reads it): recorded as `io.buildpacks.exec-env` from Platform API 0.15. */
  readonly execEnv?: string | undefined;
  readonly processType?: string;
  readonly cacheDir?: string;
  readonly cacheImage?: string;
  /** Daemon only: a directory cache of the image's layers (reused layers are read from it, not the daemon). */
  readonly launchCache?: string;
  readonly daemon: boolean;
  readonly layout: boolean;
  /** Export the image and the cache concurrently. */
  readonly parallel: boolean;
  /** Owner of the files of generated layers (CNB_USER_ID/CNB_GROUP_ID; unset = 0, as the reference). */
  readonly uid?: number;
  readonly gid?: number;
  readonly platformApi: ApiVersion;
  /** Recorded in `io.buildpacks.build.metadata` `launcher`. */
  readonly launcherInfo?: LauncherInfo;
  /** When running as root: hand the layers/cache dirs to uid:gid and drop to that user (the CLI sets it). */
  readonly dropPrivileges?: boolean;
  /** `<extended>`: the extended run image when `run-image.extend = true` (default `<layers>/extended`). */
  readonly extended?: string;
  /** Temp dir for layer blobs (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** Compression threads per layer (default: available parallelism). */
  readonly threads?: number;
}

/** What the exporter did. */
export interface ExportResult {
  readonly report: Report;
  /** The image written (identical under every tag). */
  readonly image: Image;
  /** Registry `<repo>@<digest>`, daemon image ID, or layout `<path>@<digest>`. */
  readonly identifier: string;
  /** Layers made from local files and layers reused from the previous image. */
  readonly layers: { readonly added: number; readonly reused: number };
}
