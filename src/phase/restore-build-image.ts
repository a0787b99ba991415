import { existsSync } from 'node:fs';
import { saveBaseImage } from '../extend/index.ts';
import { type auth, type Image, parseReference, remote } from '../image/index.ts';
import { LifecycleError, type Logger, messageOf } from '../platform/index.ts';

/**
 * Saves `img`'s manifest and config (no layer blobs) as an OCI image layout under
 * `<kaniko>/cache/base/<manifest digest>`, where the extender looks for its base image (platform.md
 * `restorer`: "the lifecycle MAY use the kaniko cache"; as the reference restorer). Only when the
 * platform provides `<kaniko>` (Tekton mounts it for its extender step): without it there is nothing
 * to extend, and the digest in analyzed.toml is enough (docs/decisions.md D-274).
 * @returns the layout's path, or undefined when `<kaniko>` does not exist.
 */
export async function saveToKanikoCache(
  kanikoDir: string | undefined,
  img: Image,
  log: Logger,
): Promise<string | undefined> {
  if (kanikoDir === undefined || !existsSync(kanikoDir)) {
    if (kanikoDir !== undefined)
      log.debug(`No ${kanikoDir} directory: not saving ${img.digest} for the extender`);
    return undefined;
  }
  const dir = await saveBaseImage(kanikoDir, img);
  log.debug(`Saved image metadata to ${dir}`);
  return dir;
}

/** How {@link resolveBuildImage} reaches the registry. */
export interface BuildImageOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly keychain: auth.Keychain;
  readonly insecureRegistries: readonly string[];
  /** `<kaniko>`: where the image metadata is saved for the extender (see {@link saveToKanikoCache}). */
  readonly kanikoDir?: string | undefined;
}

/**
 * Restorer `-build-image` (platform.md `restorer`, Platform API 0.10+): reads the build image's
 * manifest and config from its registry, saves them for the extender, and returns the digest reference
 * to record as `[build-image] reference` in analyzed.toml (`<registry>/<repository>@sha256:…`).
 * @throws LifecycleError (exit 1) naming the image when it cannot be read.
 */
export async function resolveBuildImage(
  ref: string,
  o: BuildImageOptions,
  log: Logger,
): Promise<{ reference: string }> {
  log.debug(`Pulling builder image metadata for ${ref}...`);
  let img: Image;
  try {
    img = await remote.image(ref, {
      env: o.env,
      keychain: o.keychain,
      insecureRegistries: o.insecureRegistries,
    });
  } catch (e) {
    throw new LifecycleError(
      'ERR_BUILD_IMAGE',
      'failed',
      `failed to pull builder image ${ref}: ${messageOf(e)}; check -build-image / CNB_BUILD_IMAGE and the registry credentials`,
      { cause: e },
    );
  }
  const reference = `${parseReference(ref).name}@${img.digest}`;
  try {
    await saveToKanikoCache(o.kanikoDir, img, log);
  } catch (e) {
    throw new LifecycleError(
      'ERR_BUILD_IMAGE',
      'failed',
      `failed to save builder image ${reference} for the extender: ${messageOf(e)}`,
      { cause: e },
    );
  }
  log.debug(`Adding build image info to analyzed metadata: ${reference}`);
  return { reference };
}
