import type { Socket } from 'node:net';
import { type auth, type Image, parseReference, type remote } from '../image/index.ts';
import { isLifecycleError, type Logger, messageOf } from '../platform/index.ts';

/** The image store's types (see image-store.ts) and what its three modes share. */

export type StoreKind = 'registry' | 'daemon' | 'layout';

/** Inputs that choose and configure the store (the resolved `PhaseInputs` plus the environment). */
export interface ImageStoreOptions {
  /** `-daemon` / CNB_USE_DAEMON. */
  readonly daemon?: boolean;
  /** `-layout` / CNB_USE_LAYOUT (experimental; wins over `daemon` like the reference). */
  readonly layout?: boolean;
  /** `-layout-dir` / CNB_LAYOUT_DIR; required with `layout`. */
  readonly layoutDir?: string;
  /** The process environment (CNB_REGISTRY_AUTH, DOCKER_CONFIG, HOME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Docker daemon address (`DOCKER_HOST`, resolved by the CLI edge); default the standard socket. */
  readonly dockerHost?: string | undefined;
  /** `-insecure-registry` / CNB_INSECURE_REGISTRIES values (resolved by the CLI edge). */
  readonly insecureRegistries?: readonly string[];
  /** Credentials; default `defaultKeychain(env)` (CNB_REGISTRY_AUTH, then docker config.json). */
  readonly keychain?: auth.Keychain;
  readonly log?: Logger;
  /** Daemon mode: where connections to the daemon come from after the drop (docs/decisions.md D-202). */
  readonly dockerConnect?: (() => Promise<Socket>) | undefined;
  /** Registry mode: told as blobs are uploaded (the exporter's progress lines, D-420). */
  readonly uploads?: remote.UploadObserver;
}

/** The image-store inputs as the phases take them (the phase passes its own logger). */
export type ImageStoreInputs = Omit<ImageStoreOptions, 'log' | 'uploads'>;

/** What a write produced (report.toml `[image]`: `digest` for registry/layout, `image-id` for the daemon). */
export interface StoreWriteResult {
  /** Manifest digest (`sha256:<hex>`), registry and layout. */
  readonly digest?: string;
  /** Daemon image ID, hex without `sha256:` (docs/reference-behaviour.md §0.9). */
  readonly imageId?: string;
  /** Manifest size in bytes, registry and layout. */
  readonly manifestSize?: number;
  /** The identifier of the written image (see {@link ImageStore.identifier}). */
  readonly identifier: string;
}

/** One reference's outcome of {@link ImageStore.writeEach}. */
export type StoreWriteOutcome =
  | { readonly name: string; readonly ok: true; readonly result: StoreWriteResult }
  | { readonly name: string; readonly ok: false; readonly cause: string };

/** {@link ImageStore.writeEach} for sinks that write all references at once or one after the other. */
export async function eachOf(
  refs: readonly string[],
  writeAll: boolean,
  write: (refs: readonly string[]) => Promise<StoreWriteResult>,
): Promise<StoreWriteOutcome[]> {
  const batches = writeAll ? [refs] : refs.map((r) => [r]);
  const out: StoreWriteOutcome[] = [];
  for (const batch of batches) {
    try {
      const result = await write(batch);
      for (const name of batch) out.push({ name, ok: true, result });
    } catch (e) {
      for (const name of batch) out.push({ name, ok: false, cause: messageOf(e) });
    }
  }
  return out;
}

export interface ImageStore {
  readonly kind: StoreKind;
  /**
   * The image at `ref`, or undefined when it does not exist (platform.md: valid references to missing
   * images are fine). Other failures (auth, unreachable registry, corrupt layout) throw a LifecycleError
   * naming the registry/repository or path.
   */
  read(ref: string): Promise<Image | undefined>;
  /**
   * What the lifecycle records for an image read from or written to `ref` (docs/reference-behaviour.md §0.9):
   * registry `<registry>/<repo>@sha256:<manifest digest>`; daemon the image ID (hex, no `sha256:`);
   * layout `<path>@sha256:<manifest digest>`.
   */
  identifier(ref: string, img: Image): string;
  /**
   * Writes `img` under every reference (the first is the primary one). Registry: blobs once, then one
   * manifest per tag; daemon: one load with every tag; layout: each reference at its layout path.
   */
  write(
    refs: readonly string[],
    img: Image,
    opts?: { reuseFrom?: readonly string[] },
  ): Promise<StoreWriteResult>;
  /**
   * Writes `img` under every reference and says, per reference, whether it was written (in the order of
   * `refs`), so one bad name does not stop the others. Registry: blobs once per repository, one manifest
   * per reference (D-381); daemon: one load with every tag; layout: each reference at its path.
   */
  writeEach(
    refs: readonly string[],
    img: Image,
    opts?: { reuseFrom?: readonly string[] },
  ): Promise<readonly StoreWriteOutcome[]>;
  /** Registry mode: fails with `ensure registry read access to <ref>` (exit 32) unless readable. No-op elsewhere. */
  checkRead(ref: string): Promise<void>;
  /** Registry mode: fails with `ensure registry read/write access to <ref>` (exit 32). No-op elsewhere. */
  checkWrite(ref: string): Promise<void>;
  /**
   * Registry mode: ok when `ref` is readable (missing images are readable), else why not (the
   * registry's answer). Always ok elsewhere.
   */
  canRead(ref: string): Promise<{ readonly ok: boolean; readonly reason?: string }>;
  /** Layout mode: the directory of `ref` (platform.md "Map an image reference to a path"); else `ref`. */
  locate(ref: string): string;
  /**
   * Registry mode: uploads into `ref`'s repository ahead of {@link writeEach} (D-382, D-383), in the
   * session the writes use, so they find the blobs there. Undefined elsewhere.
   */
  early?(ref: string): remote.EarlyUploads | undefined;
  /**
   * Resolves registry credentials for `refs` now (docs/reference-behaviour.md §0.8: the keychain is built
   * before privileges are dropped, when docker config.json may still be readable).
   */
  primeCredentials(refs: readonly string[]): Promise<void>;
}

export function tagOf(ref: string): string | undefined {
  try {
    return parseReference(ref).tag;
  } catch {
    return undefined;
  }
}
/** Errors meaning "there is no such image". */
const NOT_FOUND = new Set(['ERR_REGISTRY_NOT_FOUND', 'ERR_IMAGE_NOT_FOUND']);

export function missing(e: unknown): boolean {
  return isLifecycleError(e) && NOT_FOUND.has(e.code);
}
