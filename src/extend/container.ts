import { access, readFile } from 'node:fs/promises';

/** Where {@link inContainer} looks; paths are parameters so the rule is testable. */
export interface ContainerProbe {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Files whose presence says "container" (default: podman's, Docker's, a Kubernetes service account). */
  readonly markers?: readonly string[];
  readonly cgroup?: string;
  /** Files naming the runtime (default `/proc/1/cmdline`, `/run/systemd/container`). */
  readonly runtimeFiles?: readonly string[];
  readonly mountinfo?: string;
}

/** The runtimes kaniko's detection names, plus the Kubernetes and containerd cgroup spellings. */
const RUNTIMES =
  /docker|rkt|systemd-nspawn|lxc|openvz|kube|garden|podman|gvisor|firejail|wsl|containerd|crio|libpod|buildkit/;

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * True when the process runs in a container, as kaniko's runtime detection the reference calls before
 * applying a Dockerfile: `/run/.containerenv`, `/.dockerenv` or a Kubernetes service account; a
 * runtime named in `/proc/1/cgroup`, `/proc/1/cmdline`, `/run/systemd/container` or the `container`
 * variable (podman, systemd-nspawn); gVisor's marker; an overlay root; or, beyond kaniko, the Kubernetes
 * service variables. The extender changes the root filesystem it runs on, so it refuses anywhere else
 * (platform.md "extender": in the build or run environment; D-363).
 */
export async function inContainer(p: ContainerProbe): Promise<boolean> {
  if (p.env['KUBERNETES_SERVICE_HOST'] || RUNTIMES.test(p.env['container'] ?? '')) return true;
  const markers = p.markers ?? [
    '/run/.containerenv',
    '/.dockerenv',
    '/var/run/secrets/kubernetes.io/serviceaccount',
    '/__runsc_containers__',
  ];
  for (const m of markers) if (await exists(m)) return true;
  for (const f of [
    p.cgroup ?? '/proc/1/cgroup',
    ...(p.runtimeFiles ?? ['/proc/1/cmdline', '/run/systemd/container']),
  ]) {
    const text = await readFile(f, 'utf8').catch(() => '');
    if (RUNTIMES.test(text)) return true;
  }
  const mounts = await readFile(p.mountinfo ?? '/proc/self/mountinfo', 'utf8').catch(() => '');
  return mounts.split('\n').some((l) => l.split(' ')[4] === '/' && / - overlay /.test(l));
}
