import { messageOf } from '../../platform/index.ts';
import { type Reference, toReference } from '../reference.ts';
import type { Descriptor } from '../types.ts';
import { cancelUpload, startUpload } from './blob.ts';
import { RegistryClient } from './client.ts';
import { deleteManifest, headManifest } from './manifest.ts';
import { type RemoteOptions, resolveOptions } from './options.ts';

/** Result of an access check: `ok`, or why not (a message naming registry, repository and status). */
export interface AccessCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/** The manifest descriptor a reference points at (HEAD), or undefined when the registry has no such image. */
export async function head(
  reference: string | Reference,
  options: RemoteOptions = {},
): Promise<Descriptor | undefined> {
  const ref = toReference(reference);
  const client = new RegistryClient(ref.registry, ref.repository, resolveOptions(options), 'pull');
  return headManifest(client, ref.identifier);
}

/** Deletes the image `<repository>@<digest>` from its registry (the registry must allow deletes). */
export async function deleteImage(reference: string | Reference, options: RemoteOptions = {}): Promise<void> {
  const ref = toReference(reference);
  if (!ref.identifier.startsWith('sha256:'))
    throw new Error(
      `deleting ${ref.repository}: a digest reference is needed, not the tag '${ref.identifier}'`,
    );
  const client = new RegistryClient(ref.registry, ref.repository, resolveOptions(options), 'push');
  await deleteManifest(client, ref.identifier);
}

/** True when the registry has a manifest for the reference. */
export async function exists(reference: string | Reference, options: RemoteOptions = {}): Promise<boolean> {
  return (await head(reference, options)) !== undefined;
}

const DENIED = new Set(['ERR_REGISTRY_UNAUTHORIZED', 'ERR_REGISTRY_DENIED']);

function denied(e: unknown): AccessCheck {
  if (DENIED.has((e as { code?: string }).code ?? '')) return { ok: false, reason: messageOf(e) };
  throw e;
}

/**
 * Can we read `reference`? True when the manifest can be queried (an image that does not exist yet is
 * readable: the analyzer runs before the first build). Unauthorized/forbidden → `{ ok: false, reason }`;
 * other failures (unreachable registry, …) throw.
 */
export async function checkReadAccess(
  reference: string | Reference,
  options: RemoteOptions = {},
): Promise<AccessCheck> {
  try {
    await head(reference, options);
    return { ok: true };
  } catch (e) {
    return denied(e);
  }
}

/**
 * Can we push to `reference`? Like go-containerregistry's CheckPushPermission: get push-scoped auth,
 * start a blob upload session in the repository, then cancel it. Nothing is stored.
 */
export async function checkWriteAccess(
  reference: string | Reference,
  options: RemoteOptions = {},
): Promise<AccessCheck> {
  const ref = toReference(reference);
  const client = new RegistryClient(ref.registry, ref.repository, resolveOptions(options), 'push');
  try {
    const location = await startUpload(client);
    if (location !== undefined) await cancelUpload(client, location).catch(() => {});
    return { ok: true };
  } catch (e) {
    return denied(e);
  }
}
