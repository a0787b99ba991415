/**
 * The one rule for which platform an image index entry is picked for when the caller names none
 * (D-217): linux on the architecture the lifecycle itself runs on, in Go's names — the image is built
 * to run where its buildpacks ran (platform.md "Target Data": the lifecycle records its own os/arch).
 */

/** The platform an index entry is picked for. */
export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

/** Go's GOARCH name for a Node `process.arch`. */
export function goArch(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

/** linux on this process's architecture (Go names). */
export function defaultPlatform(arch: string = process.arch): PlatformSpec {
  return { os: 'linux', architecture: goArch(arch) };
}
