import { messageOf } from '../../platform/index.ts';
import { type Reference, toReference } from '../reference.ts';
import type { Descriptor } from '../types.ts';
import { cancelUpload, startUpload } from './blob.ts';
import { RegistryClient } from './client.ts';
import { headManifest } from './manifest.ts';
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
