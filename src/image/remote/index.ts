/**
 * The registry source and sink (OCI Distribution API): `image(ref)` reads, `write(ref, image)` pushes,
 * `tag`, `head`/`exists`, and read/write access checks. Credentials come from a `Keychain`
 * (see `../auth/`), plain HTTP is used for loopback/RFC1918 and `CNB_INSECURE_REGISTRIES` registries.
 */
export { type AccessCheck, checkReadAccess, checkWriteAccess, deleteImage, exists, head } from './access.ts';
export { type BlobSource, headBlob, type PushOutcome, pushBlob } from './blob.ts';
export { getBlob, getBlobBytes, MAX_CONFIG_BYTES } from './blob-read.ts';
export { type Access, RegistryClient } from './client.ts';
export {
  blobKey,
  type EarlyOptions,
  type EarlyUploads,
  earlyUploads,
  type FollowedUpload,
} from './early.ts';
export {
  type BlobOrigin,
  image,
  imageOrigin,
  layerOrigin,
  type RemoteImage,
  RemoteLayer,
  selectPlatform,
} from './image.ts';
export {
  deleteManifest,
  getManifest,
  headManifest,
  MANIFEST_ACCEPT,
  putManifest,
  type RawManifest,
  sha256Digest,
} from './manifest.ts';
export {
  createSession,
  type PlatformSpec,
  type RegistrySession,
  type RemoteOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.ts';
export { isLocalRegistry, schemesFor } from './ping.ts';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
export { createUploadStats, type UploadObserver, type UploadStats } from './stats.ts';
export { manifestMediaType, tag, type WriteResult, write } from './write.ts';
export { type TagOutcome, writeTags } from './write-tags.ts';
