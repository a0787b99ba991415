import { createReadStream } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image } from '../image/index.ts';
import { extractLayer } from '../layer/index.ts';
import type { Logger } from '../platform/index.ts';

/** The directory named `sbom` in an extracted tree (breadth-first), whatever layers path it was exported from. */
async function findSbomDir(root: string): Promise<string | undefined> {
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    for (const d of level) {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (e.name === 'sbom') return join(d, e.name);
        next.push(join(d, e.name));
      }
    }
    level = next;
  }
  return undefined;
}

/**
 * Restores the previous image's SBOM layer (docs/reference-behaviour.md §1: `metadata.sbom.sha`, a diffID)
 * into `<layers>/sbom`. The layer holds absolute paths under the layers directory of the build that
 * exported it; they are mapped onto this build's `<layers>/sbom`. With a launch cache (`-daemon
 * -launch-cache`) the layer is read from `<launch-cache>/committed/<diffID>.tar` when present, which
 * saves a `docker save`.
 */
export async function restoreSbomLayer(
  img: Image,
  diffID: string,
  layers: string,
  log: Logger,
  launchCache?: string,
): Promise<void> {
  const cached = launchCache === undefined ? undefined : join(launchCache, 'committed', `${diffID}.tar`);
  const fromCache =
    cached !== undefined &&
    (await stat(cached).then(
      (s) => s.isFile(),
      () => false,
    ));
  const layer = img.layers.find((l) => l.diffID === diffID);
  if (layer === undefined && !fromCache) {
    log.warn(`The previous image has no layer ${diffID} (its SBOM layer); not restoring SBOMs`);
    return;
  }
  await mkdir(layers, { recursive: true });
  const tmp = await mkdtemp(join(layers, '.sbom-restore-'));
  try {
    const stream = fromCache
      ? createReadStream(cached, { highWaterMark: 1 << 20 })
      : await layer!.uncompressed();
    await extractLayer(stream, tmp, { compression: 'none', chown: false, expectDiffID: diffID });
    const found = await findSbomDir(tmp);
    if (found === undefined) {
      log.warn(`The SBOM layer ${diffID} of the previous image has no sbom directory; nothing restored`);
      return;
    }
    // Moved into place when there is nothing there yet (one rename, whatever the number of files).
    const dest = join(layers, 'sbom');
    if ((await lstat(dest).catch(() => undefined)) === undefined) await rename(found, dest);
    else await cp(found, dest, { recursive: true, force: true, verbatimSymlinks: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
