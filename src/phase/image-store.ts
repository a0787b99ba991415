import type { Socket } from 'node:net';
import { isAbsolute, normalize, relative, resolve as resolvePath } from 'node:path';
import { auth, daemon, type Image, layout, parseReference, remote } from '../image/index.ts';
import { isLifecycleError, LifecycleError, type Logger, messageOf, nullLogger } from '../platform/index.ts';

/**
 * One facade over the three image sources/sinks a phase may use (platform.md `-daemon`, `-layout`,
 * registry by default), so phases read "store.read(ref) → … → store.write(tags, img)" whatever the
 * inputs chose. Each mode delegates to `src/image` (`remote`, `daemon`, `layout`).
 */
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
async function eachOf(
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

function tagOf(ref: string): string | undefined {
  try {
    return parseReference(ref).tag;
  } catch {
    return undefined;
  }
}

/** Picks the store for the inputs. */
export function imageStore(o: ImageStoreOptions): ImageStore {
  if (o.layout) {
    if (o.layoutDir === undefined || o.layoutDir === '')
      throw new LifecycleError(
        'ERR_INVALID_ARGS',
        'invalidArgs',
        '-layout needs -layout-dir (or CNB_LAYOUT_DIR): the root directory of the OCI layout images',
      );
    return layoutStore(o.layoutDir);
  }
  if (o.daemon) return daemonStore(o);
  return registryStore(o);
}

/** Errors meaning "there is no such image". */
const NOT_FOUND = new Set(['ERR_REGISTRY_NOT_FOUND', 'ERR_IMAGE_NOT_FOUND']);

function missing(e: unknown): boolean {
  return isLifecycleError(e) && NOT_FOUND.has(e.code);
}

function registryStore(o: ImageStoreOptions): ImageStore {
  const keychain = auth.memoKeychain(o.keychain ?? auth.defaultKeychain(o.env));
  const opts: remote.RemoteOptions = {
    env: o.env,
    keychain,
    insecureRegistries: o.insecureRegistries ?? [],
    session: remote.createSession(),
    ...(o.uploads ? { uploads: o.uploads } : {}),
  };
  const log = o.log ?? nullLogger;
  const canRead = async (ref: string): Promise<remote.AccessCheck> => {
    try {
      const r = await remote.checkReadAccess(ref, opts);
      if (!r.ok) log.debug(`no read access to ${ref}: ${r.reason ?? ''}`);
      return r;
    } catch (e) {
      log.debug(`no read access to ${ref}: ${messageOf(e)}`);
      return { ok: false, reason: messageOf(e) };
    }
  };
  return {
    kind: 'registry',
    async read(ref) {
      // HEAD first: a missing manifest is "no image", while a missing blob of an existing one is corruption.
      if ((await remote.head(ref, opts)) === undefined) return undefined;
      return remote.image(ref, opts);
    },
    identifier(ref, img) {
      return `${parseReference(ref).name}@${img.digest}`;
    },
    async write(refs, img) {
      const [first, ...rest] = refs;
      if (first === undefined) throw new Error('imageStore.write: no reference given');
      const w = await remote.write(first, img, opts);
      for (const t of rest) await remote.tag(t, img, opts);
      return { digest: w.digest, manifestSize: w.size, identifier: `${w.reference.name}@${w.digest}` };
    },
    async writeEach(refs, img) {
      return (await remote.writeTags(refs, img, opts)).map((o) =>
        o.ok
          ? {
              name: o.name,
              ok: true,
              result: {
                digest: o.result.digest,
                manifestSize: o.result.size,
                identifier: `${o.result.reference.name}@${o.result.digest}`,
              },
            }
          : { name: o.name, ok: false, cause: o.cause },
      );
    },
    async checkRead(ref) {
      await access(ref, 'read', opts);
    },
    async checkWrite(ref) {
      await access(ref, 'read/write', opts);
    },
    canRead,
    locate: (ref) => ref,
    early(ref) {
      try {
        return remote.earlyUploads(ref, {
          ...opts,
          onFallback: (what, e) => log.debug(`Uploading ${what} in one request: ${messageOf(e)}`),
        });
      } catch {
        return undefined; // not a valid reference: the write says why
      }
    },
    async primeCredentials(refs) {
      const registries = new Set<string>();
      for (const r of refs) {
        try {
          registries.add(parseReference(r).registry);
        } catch {
          // invalid references fail later, with their own message
        }
      }
      await Promise.all([...registries].map((r) => keychain.resolve(r)));
    },
  };
}

/**
 * The analyzer's access checks (docs/reference-behaviour.md §1 "Registry access validation"): the message
 * contains `ensure registry read access to <ref>` or `ensure registry read/write access to <ref>`,
 * followed by why (status, registry, repository); exit code 32.
 */
async function access(ref: string, what: 'read' | 'read/write', opts: remote.RemoteOptions): Promise<void> {
  let reason: string | undefined;
  try {
    const r =
      what === 'read' ? await remote.checkReadAccess(ref, opts) : await remote.checkWriteAccess(ref, opts);
    if (r.ok && what === 'read/write') {
      const rr = await remote.checkReadAccess(ref, opts);
      if (!rr.ok) reason = rr.reason;
    } else if (!r.ok) reason = r.reason;
  } catch (e) {
    reason = messageOf(e);
  }
  if (reason !== undefined)
    throw new LifecycleError(
      'ERR_REGISTRY_ACCESS',
      'analyze',
      `ensure registry ${what} access to ${ref}: ${reason}`,
    );
}

function daemonStore(o: ImageStoreOptions): ImageStore {
  const host = o.dockerHost || daemon.DEFAULT_DOCKER_HOST;
  const dopts: daemon.DaemonOptions = o.dockerConnect
    ? { host, engine: new daemon.DockerEngine(host, { connect: o.dockerConnect }) }
    : { host };
  const id = (img: Image): string => {
    const d = img as Partial<daemon.DaemonImage>;
    return (typeof d.id === 'string' ? d.id : img.manifest.config.digest).replace(/^sha256:/, '');
  };
  return {
    kind: 'daemon',
    async read(ref) {
      try {
        return await daemon.image(ref, dopts);
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    identifier: (_ref, img) => id(img),
    async write(refs, img, w) {
      const [first, ...rest] = refs;
      if (first === undefined) throw new Error('imageStore.write: no reference given');
      const r = await daemon.write(first, img, {
        ...dopts,
        tags: rest,
        ...(w?.reuseFrom === undefined ? {} : { reuseFrom: w.reuseFrom }),
      });
      const imageId = r.id.replace(/^sha256:/, '');
      return { imageId, identifier: imageId };
    },
    writeEach(refs, img, w) {
      return eachOf(refs, true, (batch) => this.write(batch, img, w));
    },
    checkRead: async () => {},
    checkWrite: async () => {},
    canRead: async () => ({ ok: true }),
    locate: (ref) => ref,
    primeCredentials: async () => {},
  };
}

/**
 * platform.md "Map an image reference to a path in the layout directory"; a reference that already
 * is a path inside the layout directory is used as it is (docs/reference-behaviour.md §0.9).
 */
export function layoutPathFor(layoutDir: string, ref: string): string {
  const root = normalize(resolvePath(layoutDir));
  return isLayoutPath(root, ref) ? normalize(ref) : layout.layoutPath(root, ref);
}

/** True when `ref` names a path inside the layout directory rather than an image reference. */
export function isLayoutPath(layoutDir: string, ref: string): boolean {
  if (!isAbsolute(ref)) return false;
  const rel = relative(normalize(resolvePath(layoutDir)), normalize(ref));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function layoutStore(layoutDir: string): ImageStore {
  const locate = (ref: string) => layoutPathFor(layoutDir, ref);
  return {
    kind: 'layout',
    async read(ref) {
      try {
        return await layout.image(locate(ref));
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    identifier: (ref, img) => layout.layoutIdentifier(locate(ref), img.digest),
    async write(refs, img) {
      let result: StoreWriteResult | undefined;
      for (const ref of refs) {
        // index.json names the tag (org.opencontainers.image.ref.name), as the reference writes it.
        const tag = tagOf(ref);
        const w = await layout.write(locate(ref), img, tag === undefined ? {} : { refName: tag });
        result ??= { digest: w.digest, manifestSize: img.rawManifest.byteLength, identifier: w.identifier };
      }
      if (result === undefined) throw new Error('imageStore.write: no reference given');
      return result;
    },
    writeEach(refs, img) {
      return eachOf(refs, false, (batch) => this.write(batch, img));
    },
    checkRead: async () => {},
    checkWrite: async () => {},
    canRead: async () => ({ ok: true }),
    locate,
    primeCredentials: async () => {},
  };
}
