import {
  compareApi,
  DEPRECATED_BUILDPACK_APIS,
  DEPRECATED_PLATFORM_APIS,
  parseApi,
  SUPPORTED_BUILDPACK_APIS,
  SUPPORTED_PLATFORM_APIS,
} from './api.ts';
import { LIFECYCLE_VERSION } from './version.ts';

/**
 * The lifecycle descriptor: `lifecycle.toml` (next to the phases in dist/lifecycle and at the root of
 * the release tarball) and the lifecycle image's labels, all derived from the API lists in api.ts and
 * LIFECYCLE_VERSION, so that build and package cannot disagree (docs/decisions.md D-253).
 */

/** One API family's lists. */
export interface ApiSet {
  readonly deprecated: readonly string[];
  readonly supported: readonly string[];
}

/** The descriptor's content. */
export interface LifecycleDescriptor {
  readonly apis: { readonly buildpack: ApiSet; readonly platform: ApiSet };
  readonly version: string;
  /** Media types of the SBOM formats the lifecycle accepts from buildpacks. */
  readonly sbomFormats: readonly string[];
}

/** The SBOM media types (buildpack.md "Bill of Materials"), in the reference's order. */
export const SBOM_FORMATS = [
  'application/vnd.cyclonedx+json',
  'application/spdx+json',
  'application/vnd.syft+json',
] as const;

/** This lifecycle's descriptor. */
export function lifecycleDescriptor(): LifecycleDescriptor {
  return {
    apis: {
      buildpack: { deprecated: [...DEPRECATED_BUILDPACK_APIS], supported: [...SUPPORTED_BUILDPACK_APIS] },
      platform: { deprecated: [...DEPRECATED_PLATFORM_APIS], supported: [...SUPPORTED_PLATFORM_APIS] },
    },
    version: LIFECYCLE_VERSION,
    sbomFormats: [...SBOM_FORMATS],
  };
}

/** The lowest version in a list (the legacy `[api]` table and label carry the lowest supported). */
export function lowestApi(list: readonly string[]): string {
  const sorted = [...list].sort((a, b) => {
    const av = parseApi(a);
    const bv = parseApi(b);
    if (!av || !bv) throw new Error(`bad API version in ${JSON.stringify(list)}`);
    return compareApi(av, bv);
  });
  const first = sorted[0];
  if (first === undefined) throw new Error('an API list is empty');
  return first;
}

const list = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/**
 * `lifecycle.toml` as the reference's packager writes it: `[apis.buildpack]` and `[apis.platform]`
 * with `deprecated` and `supported`, the legacy `[api]` table (RFC 0011) with the lowest supported
 * versions, `[lifecycle] version` and `sbom-formats`.
 */
export function lifecycleToml(d: LifecycleDescriptor = lifecycleDescriptor()): string {
  return [
    '[apis]',
    '[apis.buildpack]',
    `  deprecated = ${list(d.apis.buildpack.deprecated)}`,
    `  supported = ${list(d.apis.buildpack.supported)}`,
    '[apis.platform]',
    `  deprecated = ${list(d.apis.platform.deprecated)}`,
    `  supported = ${list(d.apis.platform.supported)}`,
    '',
    '# The lowest supported APIs, for platforms that read the RFC 0011 descriptor.',
    '[api]',
    `  platform = ${JSON.stringify(lowestApi(d.apis.platform.supported))}`,
    `  buildpack = ${JSON.stringify(lowestApi(d.apis.buildpack.supported))}`,
    '',
    '[lifecycle]',
    `  version = ${JSON.stringify(d.version)}`,
    `  sbom-formats = ${list(d.sbomFormats)}`,
    '',
  ].join('\n');
}

/** The lifecycle image's labels (the reference's tools/image): version, APIs, legacy builder metadata. */
export function lifecycleImageLabels(d: LifecycleDescriptor = lifecycleDescriptor()): Record<string, string> {
  const apis = {
    buildpack: { deprecated: d.apis.buildpack.deprecated, supported: d.apis.buildpack.supported },
    platform: { deprecated: d.apis.platform.deprecated, supported: d.apis.platform.supported },
  };
  return {
    'io.buildpacks.lifecycle.version': d.version,
    'io.buildpacks.lifecycle.apis': JSON.stringify(apis),
    'io.buildpacks.builder.metadata': JSON.stringify({
      lifecycle: { version: d.version },
      api: {
        buildpack: lowestApi(d.apis.buildpack.supported),
        platform: lowestApi(d.apis.platform.supported),
      },
    }),
  };
}
