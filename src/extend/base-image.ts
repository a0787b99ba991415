import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Image, layout } from '../image/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';

/** The kaniko directory platforms mount (platform.md "restorer" and "extender": must be `/kaniko`). */
export const KANIKO_DIR = '/kaniko';

/** `<kaniko>/cache/base/<digest>`: the OCI layout (manifest and config) of an image to extend. */
export function baseImageDir(kanikoDir: string, digest: string): string {
  return join(kanikoDir, 'cache', 'base', digest);
}

/** The `sha256:…` digest of a digest reference (`repo@sha256:…`). */
export function referenceDigest(reference: string): string | undefined {
  const m = /@(sha256:[a-f0-9]{64})$/.exec(reference);
  return m?.[1];
}

/**
 * Saves an image's manifest and config (no layer blobs) where the extender looks for it (platform.md
 * "restorer": "MUST copy the OCI manifest and config file for `<build-image>` to `<kaniko-dir>/cache`",
 * and the run image when `run-image.extend = true`). Returns the layout directory.
 */
export async function saveBaseImage(kanikoDir: string, image: Image): Promise<string> {
  const dir = baseImageDir(kanikoDir, image.digest);
  await mkdir(join(kanikoDir, 'cache', 'base'), { recursive: true });
  await layout.write(dir, image, { withoutLayers: true });
  return dir;
}

/**
 * The image recorded for extension (`<analyzed>` build-image or run-image reference), read from
 * `<kaniko>/cache/base/<digest>`.
 * @throws LifecycleError (exit 102) saying which phase should have saved it.
 */
export async function readBaseImage(
  kanikoDir: string,
  reference: string,
  what: string,
): Promise<layout.LayoutImage> {
  const digest = referenceDigest(reference);
  if (digest === undefined) {
    throw new LifecycleError(
      'ERR_EXTEND_BASE',
      'extend',
      `the ${what} reference '${reference}' in analyzed.toml is not a digest reference; run the restorer first`,
    );
  }
  const dir = baseImageDir(kanikoDir, digest);
  try {
    return await layout.image(dir, digest);
  } catch (e) {
    throw new LifecycleError(
      'ERR_EXTEND_BASE',
      'extend',
      `cannot read the ${what} ${reference} from ${dir}: ${messageOf(e)}; the restorer saves it there (with -build-image for the build image, run-image.extend = true for the run image) and ${kanikoDir} must be the same volume in both`,
      { cause: e },
    );
  }
}

/** A work directory of its own under `<kaniko>` (`work.*`: pack runs the build and run extenders at once). */
export async function makeWorkDir(kanikoDir: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  await mkdir(kanikoDir, { recursive: true });
  const dir = await mkdtemp(join(kanikoDir, 'work.'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
