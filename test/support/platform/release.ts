import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parse } from 'smol-toml';
import { extract as tarExtract } from 'tar-stream';
import { layout } from '../../../src/image/index.ts';
import type { Image } from '../../../src/image/types.ts';
import type { LayerEntry } from '../../../src/layer/index.ts';

/**
 * The release artifacts `npm run package` makes (dist/release): the lifecycle tarball as
 * `lifecycle-v<version>+linux.x86-64.tgz` and the lifecycle image as an OCI layout. Missing artifacts
 * are an error saying how to make them, never a skip.
 */

/** dist/release of this checkout. */
export const RELEASE_DIR = join(import.meta.dirname, '..', '..', '..', 'dist', 'release');

/** Path of the lifecycle tarball in dist/release (exactly one expected). */
export function lifecycleTarball(dir = RELEASE_DIR): string {
  const found = existsSync(dir)
    ? readdirSync(dir).filter((f) => /^lifecycle-v.+\+linux\.x86-64\.tgz$/.test(f))
    : [];
  if (found.length !== 1) {
    throw new Error(
      `${dir} has ${found.length === 0 ? 'no' : 'more than one'} lifecycle-v<version>+linux.x86-64.tgz: run \`npm run package\` first`,
    );
  }
  return join(dir, found[0] as string);
}

/** The parsed `lifecycle.toml` of a release (pack's lifecycle descriptor). */
export interface LifecycleDescriptor {
  readonly version: string;
  readonly apis: {
    readonly buildpack: { readonly supported: string[]; readonly deprecated: string[] };
    readonly platform: { readonly supported: string[]; readonly deprecated: string[] };
  };
  /** The legacy `[api]` table. */
  readonly api: { readonly buildpack: string; readonly platform: string };
}

/** The tarball's contents as pack reads them: `lifecycle.toml` and the entries one level under the top dir. */
export interface LifecycleRelease {
  readonly descriptor: LifecycleDescriptor;
  /** Entries `lifecycle/<name>` (pack's `^[^/]+/([^/]+)$`), renamed to `/cnb/lifecycle/<name>`. */
  readonly entries: readonly LayerEntry[];
  /** Every entry name in the tarball, as written. */
  readonly names: readonly string[];
}

/**
 * Reads a lifecycle tarball the way `pack builder create` does (internal/builder/lifecycle.go and
 * `embedLifecycleTar`): `lifecycle.toml` at the root, and only the files one level below the top
 * directory go into `/cnb/lifecycle`.
 */
export async function readLifecycleTarball(path = lifecycleTarball()): Promise<LifecycleRelease> {
  const extract = tarExtract();
  const entries: LayerEntry[] = [];
  const names: string[] = [];
  let toml: string | undefined;
  extract.on('entry', (h, stream, next) => {
    names.push(h.name);
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      const clean = h.name.replace(/^\.\//, '').replace(/\/+$/, '');
      const body = Buffer.concat(chunks);
      if (clean === 'lifecycle.toml') toml = body.toString('utf8');
      const m = /^[^/]+\/([^/]+)$/.exec(clean);
      // pack keeps the header of every entry one level down (a directory too) and drops deeper ones
      if (m) {
        const name = `/cnb/lifecycle/${m[1]}`;
        const base = { name, mode: h.mode ?? 0o755, uid: h.uid ?? 0, gid: h.gid ?? 0 };
        if (h.type === 'symlink') entries.push({ ...base, type: 'symlink', linkname: h.linkname ?? '' });
        else if (h.type === 'directory') entries.push({ ...base, type: 'dir' });
        else if (h.type === 'file')
          entries.push({ ...base, type: 'file', size: body.byteLength, content: body });
      }
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(path), createGunzip(), extract);
  if (toml === undefined) throw new Error(`${path} has no lifecycle.toml at its root (pack requires one)`);
  const t = parse(toml) as Record<string, Record<string, unknown>>;
  const apis = (t['apis'] ?? {}) as Record<string, { supported?: string[]; deprecated?: string[] }>;
  const descriptor: LifecycleDescriptor = {
    version: String(t['lifecycle']?.['version'] ?? ''),
    apis: {
      buildpack: {
        supported: apis['buildpack']?.supported ?? [],
        deprecated: apis['buildpack']?.deprecated ?? [],
      },
      platform: {
        supported: apis['platform']?.supported ?? [],
        deprecated: apis['platform']?.deprecated ?? [],
      },
    },
    api: {
      buildpack: String(t['api']?.['buildpack'] ?? ''),
      platform: String(t['api']?.['platform'] ?? ''),
    },
  };
  return { descriptor, entries, names };
}

/** dist/release/lifecycle-image (an OCI image layout with one image). */
export const LIFECYCLE_IMAGE_LAYOUT = join(RELEASE_DIR, 'lifecycle-image');

/** The lifecycle image from its OCI layout; an error saying to run `npm run package` when missing. */
export async function lifecycleImage(dir = LIFECYCLE_IMAGE_LAYOUT): Promise<Image> {
  if (!existsSync(join(dir, 'index.json')))
    throw new Error(`${dir} is not an OCI image layout (no index.json): run \`npm run package\` first`);
  return layout.image(dir);
}
