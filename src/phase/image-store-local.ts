import { isAbsolute, normalize, relative, resolve as resolvePath } from 'node:path';
import { daemon, type Image, layout } from '../image/index.ts';
import {
  eachOf,
  type ImageStore,
  type ImageStoreOptions,
  missing,
  type StoreWriteResult,
  tagOf,
} from './image-store-types.ts';

/** The `-daemon` store: `src/image/daemon`. */
export function daemonStore(o: ImageStoreOptions): ImageStore {
  const host = o.dockerHost || daemon.DEFAULT_DOCKER_HOST;
  const dopts: daemon.DaemonOptions = o.dockerConnect
    ? { host, engine: new daemon.DockerEngine(host, { connect: o.dockerConnect }) }
    : { host };
  const id = (img: Image): string => {
    const d = img as Partial<daemon.DaemonImage>;
    return (typeof d.id === 'string' ? d.id : img.manifest.config.digest).replace(/^sha256:/, '');
  };
  return {
    kind: 'daemon',
    async read(ref) {
      try {
        return await daemon.image(ref, dopts);
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    identifier: (_ref, img) => id(img),
    async write(refs, img, w) {
      const [first, ...rest] = refs;
      if (first === undefined) throw new Error('imageStore.write: no reference given');
      const r = await daemon.write(first, img, {
        ...dopts,
        tags: rest,
        ...(w?.reuseFrom === undefined ? {} : { reuseFrom: w.reuseFrom }),
      });
      const imageId = r.id.replace(/^sha256:/, '');
      return { imageId, identifier: imageId };
    },
    writeEach(refs, img, w) {
      return eachOf(refs, true, (batch) => this.write(batch, img, w));
    },
    checkRead: async () => {},
    checkWrite: async () => {},
    canRead: async () => ({ ok: true }),
    locate: (ref) => ref,
    primeCredentials: async () => {},
  };
}

/**
 * platform.md "Map an image reference to a path in the layout directory"; a reference that already
 * is a path inside the layout directory is used as it is (docs/reference-behaviour.md §0.9).
 */
export function layoutPathFor(layoutDir: string, ref: string): string {
  const root = normalize(resolvePath(layoutDir));
  return isLayoutPath(root, ref) ? normalize(ref) : layout.layoutPath(root, ref);
}

/** True when `ref` names a path inside the layout directory rather than an image reference. */
export function isLayoutPath(layoutDir: string, ref: string): boolean {
  if (!isAbsolute(ref)) return false;
  const rel = relative(normalize(resolvePath(layoutDir)), normalize(ref));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The `-layout` store: `src/image/layout`. */
export function layoutStore(layoutDir: string): ImageStore {
  const locate = (ref: string) => layoutPathFor(layoutDir, ref);
  return {
    kind: 'layout',
    async read(ref) {
      try {
        return await layout.image(locate(ref));
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    identifier: (ref, img) => layout.layoutIdentifier(locate(ref), img.digest),
    async write(refs, img) {
      let result: StoreWriteResult | undefined;
      for (const ref of refs) {
        // index.json names the tag (org.opencontainers.image.ref.name), as the reference writes it.
        const tag = tagOf(ref);
        const w = await layout.write(locate(ref), img, tag === undefined ? {} : { refName: tag });
        result ??= { digest: w.digest, manifestSize: img.rawManifest.byteLength, identifier: w.identifier };
      }
      if (result === undefined) throw new Error('imageStore.write: no reference given');
      return result;
    },
    writeEach(refs, img) {
      return eachOf(refs, false, (batch) => this.write(batch, img));
    },
    checkRead: async () => {},
    checkWrite: async () => {},
    canRead: async () => ({ ok: true }),
    locate,
    primeCredentials: async () => {},
  };
}
