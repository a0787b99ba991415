import type { BuildpackDescriptor, DescriptorTarget, OsDistro, TargetMetadata } from '../files/index.ts';
import { type ApiVersion, buildpackFeatures } from '../platform/index.ts';

/** The deprecated bionic stack ID and the target it stands for (buildpack.md "Deprecations"). */
export const BIONIC_STACK_ID = 'io.buildpacks.stacks.bionic';
const BIONIC_TARGET: DescriptorTarget = {
  os: 'linux',
  arch: 'amd64',
  distros: [{ name: 'ubuntu', version: '18.04' }],
};

/**
 * The targets a buildpack supports (buildpack.md "Targets" and "Deprecations" `stacks`):
 * `[[targets]]` when given; else targets translated from `[[stacks]]` (bionic → linux/amd64/ubuntu
 * 18.04 when the buildpack API is 0.10+ or bionic is the only stack; `*` → any); else `os = linux`
 * when `bin/build` exists; else none, which matches anything. Like the reference, Windows
 * (`bin/build.bat|exe`) is not inferred (BUILDPACK-API-VERSIONS.md B).
 */
export function buildpackTargets(
  d: BuildpackDescriptor,
  api: ApiVersion,
  hasBinBuild: boolean,
): DescriptorTarget[] {
  if (d.targets.length > 0) return [...d.targets];
  const out: DescriptorTarget[] = [];
  for (const s of d.stacks) {
    if (
      s.id === BIONIC_STACK_ID &&
      (buildpackFeatures.bionicTargetWithManyStacks(api) || d.stacks.length === 1)
    ) {
      out.push(BIONIC_TARGET);
    } else if (s.id === '*') {
      out.push({ distros: [] });
    }
  }
  if (out.length === 0 && hasBinBuild) out.push({ os: 'linux', distros: [] });
  return out;
}

/** An extension's targets: declared, else `os = linux` when it has bin/detect or bin/generate. */
export function extensionTargets(
  targets: readonly DescriptorTarget[],
  hasExecutables: boolean,
): DescriptorTarget[] {
  if (targets.length > 0) return [...targets];
  return hasExecutables ? [{ os: 'linux', distros: [] }] : [];
}

/** Empty or `*` on either side matches anything (BUILDPACK-API-VERSIONS.md F). */
function matches(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || a === '' || a === '*' || b === undefined || b === '' || b === '*' || a === b;
}

/**
 * True when a descriptor target is satisfied by the run image target (buildpack.md "Targets"):
 * os, arch and variant match, and, when the descriptor lists distros, one of them matches the
 * image's distro; an image without a distro then fails (docs/reference-behaviour.md §2 "Target
 * filtering"). Complete the image target with `withOsRelease` first.
 */
export function targetSatisfied(image: TargetMetadata, target: DescriptorTarget): boolean {
  if (!matches(target.os, image.os) || !matches(target.arch, image.arch)) return false;
  if (!matches(target.archVariant, image.archVariant)) return false;
  if (target.distros.length === 0) return true;
  const distro = image.distro;
  if (distro === undefined) return false;
  return target.distros.some((d) => matches(d.name, distro.name) && matches(d.version, distro.version));
}

/** True when `targets` is empty or any of them is satisfied. */
export function anyTargetSatisfied(image: TargetMetadata, targets: readonly DescriptorTarget[]): boolean {
  return targets.length === 0 || targets.some((t) => targetSatisfied(image, t));
}

/**
 * Completes a run image target that has no distro with the build container's os-release (and
 * then `os = linux` when unset), as the reference does (platform.md "analyzed.toml": "If target
 * distribution data is missing, it will be inferred from /etc/os-release").
 */
export function withOsRelease(image: TargetMetadata, osRelease: OsDistro | undefined): TargetMetadata {
  if (image.distro !== undefined || osRelease === undefined) return image;
  return { ...image, os: image.os === '' ? 'linux' : image.os, distro: osRelease };
}

/** The JSON form used in target-mismatch messages. */
export function describeTargets(image: TargetMetadata, targets: readonly DescriptorTarget[]): string {
  const t = targets.map((x) => ({
    os: x.os,
    arch: x.arch,
    variant: x.archVariant,
    distros: x.distros.length > 0 ? x.distros : undefined,
  }));
  return `run image: ${JSON.stringify(image)}, buildpack: ${JSON.stringify(t)}`;
}

/** Parses `/etc/os-release` text into `{ ID, VERSION_ID }` (quotes removed); undefined without ID. */
export function parseOsRelease(text: string): OsDistro | undefined {
  const vals = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m?.[1]) continue;
    let v = (m[2] ?? '').trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1);
    vals.set(m[1], v);
  }
  const name = vals.get('ID');
  return name === undefined || name === '' ? undefined : { name, version: vals.get('VERSION_ID') ?? '' };
}

/** Node's `process.arch` → the OCI/Go architecture name. */
export function ociArch(nodeArch: string): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm: 'arm',
    arm64: 'arm64',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return map[nodeArch] ?? nodeArch;
}

/**
 * `CNB_TARGET_*` for a buildpack (buildpack.md "Environment" > "Targets"): os and arch always
 * (defaulting to `linux` and the host architecture), the optional ones only when non-empty
 * (docs/reference-behaviour.md §2 "/bin/detect execution contract").
 */
export function targetEnv(image: TargetMetadata, hostArch: string): Record<string, string> {
  const distro = image.distro;
  const env: Record<string, string> = {
    CNB_TARGET_OS: image.os === '' ? 'linux' : image.os,
    CNB_TARGET_ARCH: image.arch === '' ? hostArch : image.arch,
  };
  if (image.archVariant) env.CNB_TARGET_ARCH_VARIANT = image.archVariant;
  if (distro?.name) env.CNB_TARGET_DISTRO_NAME = distro.name;
  if (distro?.version) env.CNB_TARGET_DISTRO_VERSION = distro.version;
  return env;
}
