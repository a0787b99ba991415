import type { Published } from '../../support/platform/index.ts';

/**
 * How each platform picks the Platform API from the builder's lifecycle (the `io.buildpacks.builder.metadata`
 * label's `lifecycle.apis.platform`): the first of the platform's own versions, in its order of preference,
 * that the lifecycle supports or deprecates. No match is the platform's error.
 */

/** pack internal/build/lifecycle_executor.go `SupportedPlatformAPIVersions`, highest first. */
export const PACK_APIS = [
  '0.15',
  '0.14',
  '0.13',
  '0.12',
  '0.11',
  '0.10',
  '0.9',
  '0.8',
  '0.7',
  '0.6',
  '0.5',
  '0.4',
  '0.3',
];
/** kpack build_pod.go `supportedPlatformAPIVersions`. */
export const KPACK_APIS = ['0.9', '0.8', '0.7'];

/** The builder's lifecycle Platform APIs (supported and deprecated). */
export function builderPlatformApis(builder: Published): string[] {
  const label = builder.image.config.config.Labels?.['io.buildpacks.builder.metadata'] ?? '{}';
  const md = JSON.parse(label) as {
    lifecycle?: { apis?: { platform?: { supported?: string[]; deprecated?: string[] } } };
  };
  const p = md.lifecycle?.apis?.platform ?? {};
  return [...(p.deprecated ?? []), ...(p.supported ?? [])];
}

/** The first of `preferred` the builder's lifecycle has (pack `FindLatestSupported`, kpack `highestSupportedPlatformAPI`). */
export function pickPlatformApi(platform: string, preferred: readonly string[], builder: Published): string {
  const offered = builderPlatformApis(builder);
  const api = preferred.find((v) => offered.includes(v));
  if (api === undefined)
    throw new Error(
      `${platform}: unsupported builder platform API versions: ${offered.join(',')} (it offers ${preferred.join(', ')})`,
    );
  return api;
}
