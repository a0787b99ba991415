import { LifecycleError } from '../platform/index.ts';
import { buildImage, familyOf, type MediaTypeFamily } from './assemble.ts';
import { applyConfigChanges, type ConfigChanges, formatCreated, NORMALIZED_CREATED } from './mutate.ts';
import type { HistoryEntry, Image } from './types.ts';

/** Options of {@link rebase}. */
export interface RebaseOptions {
  /** Creation time of the result; default: the original image's (or the constant when it has none). */
  readonly created?: Date | string;
  /** Container config changes applied in the same step (e.g. the updated lifecycle metadata label). */
  readonly config?: ConfigChanges;
  /** Media types of the result: the original image's family (default) or a fixed one. */
  readonly mediaTypes?: 'orig' | MediaTypeFamily;
}

/**
 * Swaps the base of `orig` (platform.md `rebaser`): the layers of `orig` up to and including the first
 * one whose diffID is `oldBaseTopDiffID` are replaced by all layers of `newBase`; the layers above are
 * kept. Manifest and config only — no layer bytes are read, so the time is independent of image size.
 *
 * The result keeps `orig`'s container config (env, labels, entrypoint…) and takes `os`, `architecture`,
 * `variant` and `os.version` from `newBase`; history is `newBase`'s followed by `orig`'s app part.
 * Whether the rebase is allowed (labels, target data, `-force`) is the rebaser phase's decision.
 */
export function rebase(
  orig: Image,
  oldBaseTopDiffID: string,
  newBase: Image,
  opts: RebaseOptions = {},
): Image {
  const diffIDs = orig.config.rootfs.diff_ids;
  const top = diffIDs.indexOf(oldBaseTopDiffID);
  if (top < 0) {
    throw new LifecycleError(
      'ERR_REBASE_TOP_LAYER',
      'rebase',
      `rebase: the image (config ${orig.manifest.config.digest}) has no layer with diffID ${oldBaseTopDiffID}, ` +
        'the top layer of its previous run image; check that the image was built on that run image ' +
        '(run-image.top-layer in its io.buildpacks.lifecycle.metadata label)',
    );
  }
  const appLayers = orig.layers.slice(top + 1);
  const created =
    opts.created !== undefined ? formatCreated(opts.created) : (orig.config.created ?? NORMALIZED_CREATED);
  const history = rebaseHistory(orig, top + 1, newBase, appLayers.length, created);
  const {
    rootfs: _r,
    os: _os,
    architecture: _a,
    variant: _v,
    'os.version': _ov,
    history: _h,
    ...rest
  } = orig.config;
  const platform = {
    os: newBase.config.os,
    architecture: newBase.config.architecture,
    ...(newBase.config.variant !== undefined ? { variant: newBase.config.variant } : {}),
    ...(newBase.config['os.version'] !== undefined ? { 'os.version': newBase.config['os.version'] } : {}),
  };
  const mediaTypes =
    opts.mediaTypes === undefined || opts.mediaTypes === 'orig'
      ? familyOf(orig.manifest.mediaType)
      : opts.mediaTypes;
  return buildImage({
    config: {
      ...rest,
      ...platform,
      created,
      config: applyConfigChanges(orig.config, opts.config ?? {}),
      ...(history ? { history } : {}),
    },
    layers: [...newBase.layers, ...appLayers],
    mediaTypes,
  });
}

/** Index in `history` just past the entry of the `n`th layer and any empty entries that follow it. */
function historySplit(history: readonly HistoryEntry[], n: number): number | undefined {
  let seen = 0;
  let i = 0;
  for (; i < history.length && seen < n; i++) if (!history[i]?.empty_layer) seen++;
  if (seen < n) return undefined;
  while (i < history.length && history[i]?.empty_layer) i++;
  return i;
}

function countLayers(history: readonly HistoryEntry[]): number {
  return history.filter((h) => !h.empty_layer).length;
}

function rebaseHistory(
  orig: Image,
  baseLayerCount: number,
  newBase: Image,
  appLayerCount: number,
  created: string,
): HistoryEntry[] | undefined {
  const origHistory = orig.config.history ?? [];
  const newBaseHistory = newBase.config.history ?? [];
  if (origHistory.length === 0 && newBaseHistory.length === 0) return undefined;
  const baseHead =
    countLayers(newBaseHistory) === newBase.layers.length
      ? [...newBaseHistory]
      : newBase.layers.map((): HistoryEntry => ({ created }));
  const split =
    countLayers(origHistory) === orig.layers.length ? historySplit(origHistory, baseLayerCount) : undefined;
  const appPart =
    split === undefined
      ? Array.from({ length: appLayerCount }, (): HistoryEntry => ({ created }))
      : origHistory.slice(split);
  return [...baseHead, ...appPart];
}
