import { auth, parseReference, remote } from '../image/index.ts';
import { LifecycleError, messageOf, nullLogger } from '../platform/index.ts';
import type { ImageStore, ImageStoreOptions } from './image-store-types.ts';

/** The registry store (the default): `src/image/remote`, one session and keychain per store. */
export function registryStore(o: ImageStoreOptions): ImageStore {
  const keychain = auth.memoKeychain(o.keychain ?? auth.defaultKeychain(o.env));
  const opts: remote.RemoteOptions = {
    env: o.env,
    keychain,
    insecureRegistries: o.insecureRegistries ?? [],
    session: remote.createSession(),
    ...(o.uploads ? { uploads: o.uploads } : {}),
  };
  const log = o.log ?? nullLogger;
  const canRead = async (ref: string): Promise<remote.AccessCheck> => {
    try {
      const r = await remote.checkReadAccess(ref, opts);
      if (!r.ok) log.debug(`no read access to ${ref}: ${r.reason ?? ''}`);
      return r;
    } catch (e) {
      log.debug(`no read access to ${ref}: ${messageOf(e)}`);
      return { ok: false, reason: messageOf(e) };
    }
  };
  return {
    kind: 'registry',
    async read(ref) {
      // HEAD first: a missing manifest is "no image", while a missing blob of an existing one is corruption.
      if ((await remote.head(ref, opts)) === undefined) return undefined;
      return remote.image(ref, opts);
    },
    identifier(ref, img) {
      return `${parseReference(ref).name}@${img.digest}`;
    },
    async write(refs, img) {
      const [first, ...rest] = refs;
      if (first === undefined) throw new Error('imageStore.write: no reference given');
      const w = await remote.write(first, img, opts);
      for (const t of rest) await remote.tag(t, img, opts);
      return { digest: w.digest, manifestSize: w.size, identifier: `${w.reference.name}@${w.digest}` };
    },
    async writeEach(refs, img) {
      return (await remote.writeTags(refs, img, opts)).map((o) =>
        o.ok
          ? {
              name: o.name,
              ok: true,
              result: {
                digest: o.result.digest,
                manifestSize: o.result.size,
                identifier: `${o.result.reference.name}@${o.result.digest}`,
              },
            }
          : { name: o.name, ok: false, cause: o.cause },
      );
    },
    async checkRead(ref) {
      await access(ref, 'read', opts);
    },
    async checkWrite(ref) {
      await access(ref, 'read/write', opts);
    },
    canRead,
    locate: (ref) => ref,
    early(ref) {
      try {
        return remote.earlyUploads(ref, {
          ...opts,
          onFallback: (what, e) => log.debug(`Uploading ${what} in one request: ${messageOf(e)}`),
        });
      } catch {
        return undefined; // not a valid reference: the write says why
      }
    },
    async primeCredentials(refs) {
      const registries = new Set<string>();
      for (const r of refs) {
        try {
          registries.add(parseReference(r).registry);
        } catch {
          // invalid references fail later, with their own message
        }
      }
      await Promise.all([...registries].map((r) => keychain.resolve(r)));
    },
  };
}

/**
 * The analyzer's access checks (docs/reference-behaviour.md §1 "Registry access validation"): the message
 * contains `ensure registry read access to <ref>` or `ensure registry read/write access to <ref>`,
 * followed by why (status, registry, repository); exit code 32.
 */
async function access(ref: string, what: 'read' | 'read/write', opts: remote.RemoteOptions): Promise<void> {
  let reason: string | undefined;
  try {
    const r =
      what === 'read' ? await remote.checkReadAccess(ref, opts) : await remote.checkWriteAccess(ref, opts);
    if (r.ok && what === 'read/write') {
      const rr = await remote.checkReadAccess(ref, opts);
      if (!rr.ok) reason = rr.reason;
    } else if (!r.ok) reason = r.reason;
  } catch (e) {
    reason = messageOf(e);
  }
  if (reason !== undefined)
    throw new LifecycleError(
      'ERR_REGISTRY_ACCESS',
      'analyze',
      `ensure registry ${what} access to ${ref}: ${reason}`,
    );
}
