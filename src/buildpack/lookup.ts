import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BuildpackDescriptor,
  type ExtensionDescriptor,
  readBuildpackDescriptor,
  readExtensionDescriptor,
} from '../files/index.ts';
import { type ApiVersion, checkBuildpackApi, isLifecycleError, LifecycleError } from '../platform/index.ts';

/** Escapes a buildpack ID for use as a directory name: `/` → `_` (S-1). */
export function escapeId(id: string): string {
  return id.replaceAll('/', '_');
}

/** `<root>/<escaped id>/<version>` (platform.md "Buildpacks Directory Layout"; S-1). */
export function moduleDir(root: string, id: string, version: string): string {
  return join(root, escapeId(id), version);
}

/** A looked-up buildpack with its verified API. */
export interface BuildpackModule {
  readonly kind: 'buildpack';
  readonly descriptor: BuildpackDescriptor;
  readonly api: ApiVersion;
  /** `<dir>/bin/build` exists (used to infer a target when none is declared). */
  readonly hasBinBuild: boolean;
}

/** A looked-up image extension with its verified API. */
export interface ExtensionModule {
  readonly kind: 'extension';
  readonly descriptor: ExtensionDescriptor;
  readonly api: ApiVersion;
}

/**
 * Finds buildpacks and extensions in their directories, reading each descriptor once and checking
 * its declared API (exit 12 when unsupported). Lookups are cached by kind, id and version.
 */
export class ModuleStore {
  readonly #buildpacks: string;
  readonly #extensions: string | undefined;
  readonly #cache = new Map<string, Promise<BuildpackModule | ExtensionModule>>();

  constructor(dirs: { buildpacks: string; extensions?: string }) {
    this.#buildpacks = dirs.buildpacks;
    this.#extensions = dirs.extensions;
  }

  /** Looks up `<buildpacks>/<escaped id>/<version>/buildpack.toml`. */
  buildpack(id: string, version: string): Promise<BuildpackModule> {
    return this.#lookup('buildpack', id, version) as Promise<BuildpackModule>;
  }

  /** Looks up `<extensions>/<escaped id>/<version>/extension.toml`. */
  extension(id: string, version: string): Promise<ExtensionModule> {
    return this.#lookup('extension', id, version) as Promise<ExtensionModule>;
  }

  #lookup(
    kind: 'buildpack' | 'extension',
    id: string,
    version: string,
  ): Promise<BuildpackModule | ExtensionModule> {
    const key = `${kind}:${id}@${version}`;
    let p = this.#cache.get(key);
    if (p === undefined) {
      p = this.#load(kind, id, version);
      this.#cache.set(key, p);
    }
    return p;
  }

  async #load(
    kind: 'buildpack' | 'extension',
    id: string,
    version: string,
  ): Promise<BuildpackModule | ExtensionModule> {
    const root = kind === 'buildpack' ? this.#buildpacks : this.#extensions;
    if (root === undefined) {
      throw new LifecycleError(
        'ERR_EXTENSIONS_DIR',
        'failed',
        `cannot look up extension '${id}@${version}': no extensions directory given`,
      );
    }
    const file = join(
      moduleDir(root, id, version),
      kind === 'buildpack' ? 'buildpack.toml' : 'extension.toml',
    );
    try {
      if (kind === 'buildpack') {
        const descriptor = await readBuildpackDescriptor(file);
        const api = checkBuildpackApi(descriptor.api, `buildpack '${id}@${version}' (${file})`);
        const hasBinBuild = await access(join(descriptor.dir, 'bin', 'build')).then(
          () => true,
          () => false,
        );
        return { kind, descriptor, api, hasBinBuild };
      }
      const descriptor = await readExtensionDescriptor(file);
      const api = checkBuildpackApi(descriptor.api, `extension '${id}@${version}' (${file})`);
      return { kind, descriptor, api };
    } catch (e) {
      if (isLifecycleError(e) && e.code === 'ERR_FILE_MISSING') {
        throw new LifecycleError(
          'ERR_BUILDPACK_NOT_FOUND',
          'failed',
          `${kind} '${id}@${version}' not found: ${file} does not exist; check the ${kind}s directory and the order`,
          { cause: e },
        );
      }
      throw e;
    }
  }
}
