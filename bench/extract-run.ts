/**
 * Child process of bench/extract.ts: extracts one tar and prints JSON with the elapsed time and the
 * process's peak RSS. Usage: extract-run.ts layer|sbom <tar> <target> <layer-path-in-tar> <diffID>
 *
 * `layer` restores the tar as the restorer restores a cached layer (into its own directory);
 * `sbom` restores it as the analyzer restores the previous image's SBOM layer from a launch cache.
 */

import { createReadStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Image } from '../src/image/index.ts';
import { extractLayer } from '../src/layer/index.ts';
import { restoreSbomLayer } from '../src/phase/analyze-sbom.ts';
import type { Logger } from '../src/platform/index.ts';

const [mode, tar, target, layerPath, diffID] = process.argv.slice(2);
if (
  mode === undefined ||
  tar === undefined ||
  target === undefined ||
  layerPath === undefined ||
  diffID === undefined
)
  throw new Error('usage: extract-run.ts layer|sbom <tar> <target> <layer-path-in-tar> <diffID>');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
if (mode === 'layer') {
  await extractLayer(createReadStream(tar, { highWaterMark: 1 << 20 }), target, {
    stripPrefix: layerPath,
    compression: 'none',
    chown: false,
    expectDiffID: diffID,
  });
} else {
  // The launch cache layout the analyzer reads: <cache>/committed/<diffID>.tar.
  const cache = join(target, 'launch-cache');
  await mkdir(join(cache, 'committed'), { recursive: true });
  await symlink(tar, join(cache, 'committed', `${diffID}.tar`));
  const img = { layers: [] } as unknown as Image;
  await restoreSbomLayer(img, diffID, join(target, 'layers'), quiet, cache);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSSKiB: process.resourceUsage().maxRSS })}\n`,
);
