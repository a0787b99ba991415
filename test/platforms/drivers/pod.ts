import { chmod, chown, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Kubernetes-style volumes for the pod-based platforms (kpack, Tekton, Shipwright): an `emptyDir` is a
 * fresh host directory, world-writable as the kubelet makes it; with a pod `fsGroup` it is group-owned by
 * that group with the setgid bit (what the kubelet does for fsGroup volumes).
 */

/** A set of emptyDir volumes under one scratch directory. */
export interface Pod {
  readonly root: string;
  /** Host path of the named volume (created on first use). */
  volume(name: string): Promise<string>;
  /** Copies `src` into the volume `name` (at `sub`), owned by `uid:gid` (a clone step running as the user). */
  fill(name: string, src: string, uid: number, gid: number, sub?: string): Promise<string>;
  remove(): Promise<void>;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const { readdir, lstat, lchown } = await import('node:fs/promises');
  await lchown(path, uid, gid);
  if (!(await lstat(path)).isDirectory()) return;
  for (const e of await readdir(path)) await chownTree(join(path, e), uid, gid);
}

/** A pod's volumes under `scratch`; `fsGroup` as in the pod security context (none: plain 0777). */
export async function pod(scratch: string, fsGroup?: number): Promise<Pod> {
  const root = await mkdtemp(join(scratch, 'pod-'));
  await chmod(root, 0o755);
  const made = new Map<string, string>();
  const volume = async (name: string) => {
    const existing = made.get(name);
    if (existing) return existing;
    const path = join(root, name);
    await mkdir(path, { recursive: true });
    if (fsGroup !== undefined) {
      await chown(path, 0, fsGroup);
      await chmod(path, 0o2777);
    } else await chmod(path, 0o777);
    made.set(name, path);
    return path;
  };
  return {
    root,
    volume,
    async fill(name, src, uid, gid, sub = '') {
      const base = await volume(name);
      const dest = sub ? join(base, sub) : base;
      await mkdir(dest, { recursive: true });
      await cp(src, dest, { recursive: true });
      await chownTree(dest, uid, gid);
      return dest;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
