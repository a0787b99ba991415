import { join } from 'node:path';
import { type Reference, toReference } from '../reference.ts';

/** The index annotation naming an image in a layout (what `skopeo`/`umoci` call the tag). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * The directory of an image in the layout directory (platform.md "Map an image reference to a path in
 * the layout directory"): `<layout-dir>/<registry>/<repo>/<image>/<tag>` for a tag reference and
 * `<layout-dir>/<registry>/<repo>/<image>/<algorithm>/<digest>` for a digest reference (a digest wins
 * over a tag, as in the reference lifecycle). References are normalised first, so `busybox` maps to
 * `<layout-dir>/index.docker.io/library/busybox/latest`.
 * @throws LifecycleError `ERR_IMAGE_REFERENCE` for an invalid reference.
 */
export function layoutPath(layoutDir: string, ref: string | Reference): string {
  const r = toReference(ref);
  const tail = r.digest !== undefined ? r.digest.split(':') : [r.identifier];
  return join(layoutDir, r.registry, ...r.repository.split('/'), ...tail);
}

/** `<path>@<digest>`: how the reference lifecycle identifies an image in a layout (e.g. in report.toml). */
export function layoutIdentifier(path: string, digest: string): string {
  return `${path}@${digest}`;
}
