import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { diffEntries, diffTrees, ignoredPaths, type StepHook, scanTree, type Tree } from '../extend/index.ts';
import type { Layer } from '../image/index.ts';
import {
  buildImage,
  type ContainerConfig,
  familyOf,
  type HistoryEntry,
  type Image,
  layout,
  NORMALIZED_CREATED,
} from '../image/index.ts';
import { fileLayer, writeLayer } from '../layer/index.ts';
import type { Logger } from '../platform/index.ts';

/** A layer an extension's instruction made, with its history text. */
export interface ExtensionLayer {
  readonly layer: Layer;
  readonly createdBy: string;
  readonly extensionId: string;
}

/** Takes a snapshot after each instruction that may change files (platform.md "extender", run kind). */
export interface RunSnapshotter {
  readonly layers: readonly ExtensionLayer[];
  step(s: Parameters<StepHook>[0], extensionId: string, log: Logger): Promise<void>;
}

/** Starts snapshots of `root`: the first walk is taken now. Layers go to `workDir`. */
export async function runSnapshotter(o: {
  readonly root: string;
  readonly workDir: string;
  readonly ignore: readonly string[];
  readonly mountinfo?: string;
}): Promise<RunSnapshotter> {
  const ignore = await ignoredPaths([...o.ignore, o.workDir], o.mountinfo);
  let tree: Tree = await scanTree(o.root, ignore);
  const layers: ExtensionLayer[] = [];
  return {
    layers,
    async step(s, extensionId, log) {
      if (!s.fs) return;
      const after = await scanTree(o.root, ignore);
      const diff = diffTrees(tree, after);
      tree = after;
      if (diff.changed.length === 0 && diff.deleted.length === 0) {
        log.debug(`No files changed by '${s.createdBy}', no layer`);
        return;
      }
      const path = join(o.workDir, `layer-${layers.length}.tar.gz`);
      const digests = await writeLayer(diffEntries(o.root, after, diff), path);
      log.debug(
        `Layer ${digests.diffID} for '${s.createdBy}' (${diff.changed.length} changed, ${diff.deleted.length} deleted)`,
      );
      layers.push({ layer: fileLayer(path, digests), createdBy: s.createdBy, extensionId });
    },
  };
}

/** The reference's history text of an extension layer (the exporter reads the extension id back). */
export function extensionHistory(createdBy: string, extensionId: string): string {
  return `Layer: '${createdBy}', Created by extension: ${extensionId}`;
}

/**
 * The extended run image: the base's layers, then the extension layers; the final container config;
 * one history entry per layer (the base's non-empty ones, then the extensions'), as the reference.
 */
export function extendedRunImage(
  base: Image,
  config: ContainerConfig,
  layers: readonly ExtensionLayer[],
): Image {
  const baseHistory = (base.config.history ?? []).filter((h) => !h.empty_layer);
  const head: HistoryEntry[] =
    baseHistory.length === base.layers.length ? baseHistory : base.layers.map(() => ({}));
  const { rootfs: _r, container: _c, container_config: _cc, docker_version: _d, ...rest } = base.config;
  return buildImage({
    config: {
      ...rest,
      created: NORMALIZED_CREATED,
      config,
      history: [
        ...head,
        ...layers.map((l) => ({ created_by: extensionHistory(l.createdBy, l.extensionId) })),
      ],
    },
    layers: [...base.layers, ...layers.map((l) => l.layer)],
    mediaTypes: familyOf(base.manifest.mediaType),
  });
}

/**
 * Writes the extended run image to `<extended>/run/<manifest digest>` (platform.md "extender": "copy
 * the manifest and config ..., along with any new layers"): an OCI layout with index, manifest, config
 * and the extension layers' blobs only. Written beside and renamed in; other images there are removed,
 * since the exporter reads the only one.
 */
export async function writeExtended(runDir: string, image: Image, log: Logger): Promise<string> {
  const dest = join(runDir, image.digest);
  const tmp = join(runDir, `.tmp-${image.digest.slice(7, 19)}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  const res = await layout.write(tmp, image, { allowMissingLayers: true });
  for (const name of await readdir(runDir))
    if (join(runDir, name) !== tmp) await rm(join(runDir, name), { recursive: true, force: true });
  await rename(tmp, dest);
  log.debug(
    `Extended run image ${image.digest} written to ${dest} (${res.blobs.written + res.blobs.linked} new layer(s))`,
  );
  return dest;
}
