import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ApiVersion,
  LifecycleError,
  type Logger,
  messageOf,
  platformFeatures,
} from '../platform/index.ts';

/**
 * The lifecycle's own SBOMs (platform.md "exporter": `<layers>/sbom/build/buildpacksio_lifecycle/` and
 * `<layers>/sbom/launch/buildpacksio_lifecycle/launcher/`; docs/reference-behaviour.md §6 "Lifecycle /
 * launcher SBOMs", Platform API ≥ 0.11). Build SBOMs stay in `<layers>/sbom/build`; launch SBOMs go
 * into the image's SBOM layer.
 */

/** SBOM media type extensions (buildpack.md "Bill of Materials"). */
export const SBOM_EXTENSIONS = ['cdx', 'spdx', 'syft'] as const;

/** The SBOM launch layer's directory and id (docs/reference-behaviour.md §6 "Image construction"). */
export const SBOM_LAYER_ID = 'buildpacksio/lifecycle:launch.sbom';

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Copies `lifecycle.sbom.<ext>.json` and `launcher.sbom.<ext>.json` from `sbomDir` (the `-launcher-sbom`
 * directory, default `/cnb/lifecycle`) into `<layers>/sbom/{build,launch}/…`. A missing file is a
 * warning; Platform API < 0.11 copies nothing.
 */
export async function copyLifecycleSboms(
  sbomDir: string,
  layers: string,
  platformApi: ApiVersion,
  log: Logger,
): Promise<void> {
  if (!platformFeatures.launcherSbom(platformApi)) return;
  const targets = [
    { prefix: 'lifecycle', dir: join(layers, 'sbom', 'build', 'buildpacksio_lifecycle') },
    { prefix: 'launcher', dir: join(layers, 'sbom', 'launch', 'buildpacksio_lifecycle', 'launcher') },
  ];
  for (const t of targets) {
    for (const ext of SBOM_EXTENSIONS) {
      const file = `${t.prefix}.sbom.${ext}.json`;
      const src = join(sbomDir, file);
      if (!(await isFile(src))) {
        log.debug(`Did not find SBOM ${file} in ${sbomDir}`);
        continue;
      }
      const dst = join(t.dir, `sbom.${ext}.json`);
      log.debug(`Copying SBOM ${file} to ${dst}`);
      try {
        await mkdir(t.dir, { recursive: true });
        await copyFile(src, dst);
      } catch (e) {
        throw new LifecycleError(
          'ERR_EXPORT_SBOM',
          'export',
          `failed to copy SBOM ${src} to ${dst}: ${messageOf(e)}`,
          {
            cause: e,
          },
        );
      }
    }
  }
}
