import { createHash } from 'node:crypto';
import { type Descriptor, MediaType } from '../types.ts';
import type { RegistryClient } from './client.ts';
import { integrityError } from './errors.ts';
import { discard, header } from './http.ts';

/** The manifest media types we accept, in preference order. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.ociIndex,
  MediaType.dockerManifestList,
].join(', ');

/** The most bytes read for a manifest or index (go-containerregistry reads manifests up to 100 MB; real ones are KiBs). */
export const MAX_MANIFEST_BYTES = 8 << 20;

/** Raw manifest bytes with their media type and digest. */
export interface RawManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** True for index / manifest-list media types. */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** The media type of a manifest document: its Content-Type, else its `mediaType` field, else by shape. */
function mediaTypeOf(contentType: string | undefined, bytes: Buffer): string {
  const ct = contentType?.split(';')[0]?.trim();
  if (ct !== undefined && ct !== '' && ct !== 'application/json' && ct !== 'text/plain') return ct;
  try {
    const doc = JSON.parse(bytes.toString()) as { mediaType?: string; manifests?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  } catch {
    return ct ?? MediaType.ociManifest;
  }
}

/**
 * Gets a manifest or index by tag or digest. When `identifier` is a digest the bytes are checked
 * against it; otherwise the digest is computed from the bytes.
 */
export async function getManifest(client: RegistryClient, identifier: string): Promise<RawManifest> {
  const op = `pull manifest ${identifier}`;
  const { res, bytes } = await client.requestBytes(
    {
      method: 'GET',
      path: client.path(`manifests/${identifier}`),
      headers: { accept: MANIFEST_ACCEPT },
      op,
      ok: [200],
    },
    MAX_MANIFEST_BYTES,
  );
  const digest = sha256Digest(bytes);
  if (identifier.includes(':') && identifier !== digest) {
    throw integrityError(client.ctx(op), `the manifest has digest ${digest}`);
  }
  return { mediaType: mediaTypeOf(header(res, 'content-type'), bytes), digest, bytes };
}

/** HEAD of a manifest: its descriptor, or undefined when the registry has no such tag/digest. */
export async function headManifest(
  client: RegistryClient,
  identifier: string,
): Promise<Descriptor | undefined> {
  const res = await client.request({
    method: 'HEAD',
    path: client.path(`manifests/${identifier}`),
    headers: { accept: MANIFEST_ACCEPT },
    op: `check manifest ${identifier}`,
    ok: [200, 404],
  });
  await discard(res);
  if (res.status === 404) return undefined;
  const digest = header(res, 'docker-content-digest');
  const size = Number(header(res, 'content-length'));
  const mediaType = header(res, 'content-type')?.split(';')[0]?.trim();
  if (digest === undefined || !Number.isFinite(size) || mediaType === undefined) {
    // Some registries omit these on HEAD: fall back to GET.
    const raw = await getManifest(client, identifier);
    return { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length };
  }
  return { mediaType, digest, size };
}

/** Puts manifest bytes under a tag or digest; returns the digest the registry reports (checked). */
export async function putManifest(
  client: RegistryClient,
  identifier: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<string> {
  const digest = sha256Digest(bytes);
  const op = `push manifest ${identifier}`;
  const res = await client.request({
    method: 'PUT',
    path: client.path(`manifests/${identifier}`),
    headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
    body: bytes,
    op,
    ok: [200, 201, 202],
  });
  await discard(res);
  const reported = header(res, 'docker-content-digest');
  if (reported !== undefined && reported !== digest) {
    throw integrityError(client.ctx(op), `the registry stored digest ${reported}, we sent ${digest}`);
  }
  client.opts.stats.manifestsPut++;
  return digest;
}

/** Deletes the manifest with `digest` (OCI Distribution "Deleting manifests"); 404 means already gone. */
export async function deleteManifest(client: RegistryClient, digest: string): Promise<void> {
  const res = await client.request({
    method: 'DELETE',
    path: client.path(`manifests/${digest}`),
    op: `delete manifest ${digest}`,
    ok: [200, 202, 404],
    noRetry: true,
  });
  await discard(res);
}
