import { access, readFile } from 'node:fs/promises';

/** Where {@link inContainer} looks; paths are parameters so the rule is testable. */
export interface ContainerProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly markers?: readonly string[];
  readonly cgroup?: string;
  readonly mountinfo?: string;
}

const RUNTIMES = /docker|kubepods|containerd|crio|libpod|podman|lxc|garden|buildkit/;

/**
 * True when the process runs in a container, as kaniko's runtime detection the reference uses: the
 * `container` variable (podman, systemd-nspawn), Kubernetes service variables, `/.dockerenv` or
 * `/run/.containerenv`, a container runtime in `/proc/1/cgroup`, or an overlay root in mountinfo.
 * The extender changes the root filesystem it runs on, so it refuses anywhere else (platform.md
 * "extender": in the build or run environment).
 */
export async function inContainer(p: ContainerProbe): Promise<boolean> {
  if (p.env['container'] || p.env['KUBERNETES_SERVICE_HOST']) return true;
  for (const m of p.markers ?? ['/.dockerenv', '/run/.containerenv']) {
    if (
      await access(m).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  const cgroup = await readFile(p.cgroup ?? '/proc/1/cgroup', 'utf8').catch(() => '');
  if (RUNTIMES.test(cgroup)) return true;
  const mounts = await readFile(p.mountinfo ?? '/proc/self/mountinfo', 'utf8').catch(() => '');
  return mounts.split('\n').some((l) => l.split(' ')[4] === '/' && / - overlay /.test(l));
}
