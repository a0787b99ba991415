import { anonymousKeychain, defaultKeychain, type Keychain } from '../auth/index.ts';
import { defaultPlatform, type PlatformSpec } from '../platform.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { createUploadStats, type UploadObserver, type UploadStats } from './stats.ts';

export type { PlatformSpec } from '../platform.ts';

/** Options shared by every remote operation. All optional. */
export interface RemoteOptions {
  /** Where credentials come from; default: `defaultKeychain(env)` when `env` is given, else anonymous. */
  readonly keychain?: Keychain;
  /** Environment record (CNB_REGISTRY_AUTH, DOCKER_CONFIG, HOME, PATH). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Registries to reach over plain HTTP or unverified TLS (`-insecure-registry` / CNB_INSECURE_REGISTRIES,
   * resolved by the CLI edge; this module never reads the variable).
   */
  readonly insecureRegistries?: readonly string[];
  /** Platform to select from image indexes; default `defaultPlatform()` (D-217). */
  readonly platform?: PlatformSpec;
  /** Retry policy for 408/429/5xx and connection failures. */
  readonly retry?: Partial<RetryPolicy>;
  /** A request with no bytes moving for this long fails (and is retried); default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Parallel blob uploads in `write`; default 6. */
  readonly concurrency?: number;
  /** Upload blobs in PATCH chunks of this many bytes instead of one monolithic PUT. */
  readonly chunkSize?: number;
  /** Cancels everything in flight. */
  readonly signal?: AbortSignal;
  /** Counters updated by `write`/`tag` (create with `createUploadStats()` and read afterwards). */
  readonly stats?: UploadStats;
  /** Told as blobs are uploaded (progress lines, D-420). */
  readonly uploads?: UploadObserver;
  /** Caches pings and tokens across calls; default: one per call. */
  readonly session?: RegistrySession;
  readonly userAgent?: string;
  /** PEM CA bundle to trust instead of the system CAs; default `SSL_CERT_FILE` from `env` (as in Go). */
  readonly caFile?: string;
}

/** What a session knows of one repository it pushes to (D-434, new-repo.ts). */
export interface RepositoryState {
  /** True when the repository did not exist when first asked. */
  readonly isNew: Promise<boolean>;
  /** Blobs this session put there (uploaded, mounted): no need to check them again. */
  readonly pushed: Set<string>;
}

/** Pings and tokens cached across operations (create one per lifecycle run to save round trips). */
export interface RegistrySession {
  readonly pings: Map<string, Promise<unknown>>;
  readonly tokens: Map<string, Promise<string | undefined>>;
  /**
   * Early uploads by `<registry>/<repository>@<digest>` (early.ts, D-383): true once the blob is in the
   * repository, false when the early attempt failed and the write must push it itself.
   */
  readonly blobs: Map<string, Promise<boolean>>;
  /** By `<registry>/<repository>`: whether it existed when first asked, and what was pushed (D-434). */
  readonly repos: Map<string, RepositoryState>;
}

/** A fresh session cache. */
export function createSession(): RegistrySession {
  return { pings: new Map(), tokens: new Map(), blobs: new Map(), repos: new Map() };
}

export interface ResolvedOptions {
  readonly keychain: Keychain;
  readonly insecure: ReadonlySet<string>;
  readonly platform: PlatformSpec;
  readonly retry: RetryPolicy;
  readonly idleTimeoutMs: number;
  readonly concurrency: number;
  readonly chunkSize: number;
  readonly signal: AbortSignal | undefined;
  readonly stats: UploadStats;
  readonly uploads: UploadObserver | undefined;
  readonly session: RegistrySession;
  readonly userAgent: string;
  readonly caFile: string | undefined;
}

/** One keychain per env record, so credential helpers run once per registry, not once per call. */
const keychains = new WeakMap<object, Keychain>();
function keychainFor(env: Readonly<Record<string, string | undefined>>): Keychain {
  let k = keychains.get(env);
  if (k === undefined) {
    k = defaultKeychain(env);
    keychains.set(env, k);
  }
  return k;
}

/** Resolves defaults (pure apart from reading docker config lazily through the keychain). */
export function resolveOptions(o: RemoteOptions = {}): ResolvedOptions {
  const insecure = new Set<string>(o.insecureRegistries ?? []);
  return {
    keychain: o.keychain ?? (o.env === undefined ? anonymousKeychain : keychainFor(o.env)),
    insecure,
    platform: o.platform ?? defaultPlatform(),
    retry: { ...DEFAULT_RETRY, ...(o.retry ?? {}) },
    idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
    concurrency: Math.max(1, o.concurrency ?? 6),
    chunkSize: o.chunkSize ?? 0,
    signal: o.signal,
    stats: o.stats ?? createUploadStats(),
    uploads: o.uploads,
    session: o.session ?? createSession(),
    userAgent: o.userAgent ?? 'cnb-lifecycle-ts',
    caFile: o.caFile ?? (o.env?.['SSL_CERT_FILE'] || undefined),
  };
}
