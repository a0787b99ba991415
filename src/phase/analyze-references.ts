import { parseReference } from '../image/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';
import { isLayoutPath } from './image-store.ts';

function invalid(message: string): LifecycleError {
  return new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', `failed to resolve inputs: ${message}`);
}

/** A daemon image ID (`sha256:<hex>`, full or short hex), accepted for the previous image with `-daemon`. */
const IMAGE_ID_RE = /^(?:sha256:)?[a-f0-9]{12,64}$/;

/**
 * Validates the analyzer's image references (platform.md `analyzer` "Inputs"; docs/reference-behaviour.md
 * §0.9): every reference parses (exit 3), except layout paths in layout mode and image IDs for the
 * previous image in daemon mode; the app image and tags share a registry unless `-daemon` (exit 3,
 * `writing to multiple registries is unsupported`).
 */
export function validateAnalyzeReferences(o: {
  readonly image: string;
  readonly tags?: readonly string[];
  readonly previousImage?: string | undefined;
  readonly runImage?: string | undefined;
  readonly cacheImage?: string | undefined;
  readonly daemon?: boolean;
  readonly layout?: boolean;
  readonly layoutDir?: string | undefined;
}): void {
  const layoutPath = (r: string) =>
    o.layout === true && o.layoutDir !== undefined && isLayoutPath(o.layoutDir, r);
  const parse = (r: string, what: string, idOk = false) => {
    if (layoutPath(r) || (idOk && IMAGE_ID_RE.test(r))) return undefined;
    try {
      return parseReference(r);
    } catch (e) {
      throw invalid(`${what}: ${messageOf(e)}`);
    }
  };
  const image = parse(o.image, 'image');
  const tags = (o.tags ?? []).map((t) => parse(t, '-tag'));
  if (o.previousImage !== undefined) parse(o.previousImage, '-previous-image', o.daemon === true);
  if (o.runImage !== undefined && o.runImage !== '') parse(o.runImage, '-run-image');
  if (o.cacheImage !== undefined && o.cacheImage !== '') parse(o.cacheImage, '-cache-image');
  if (o.daemon || image === undefined) return;
  for (const t of tags) {
    if (t !== undefined && t.registry !== image.registry)
      throw invalid(
        `writing to multiple registries is unsupported: ${o.image} is on ${image.registry}, tag ${t.input} on ${t.registry}`,
      );
  }
}
