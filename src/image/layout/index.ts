/**
 * OCI image layouts (platform.md experimental `-layout`/`-layout-dir`): `image(dir)` reads,
 * `write(dir, image)` writes, `layoutPath(layoutDir, ref)` maps a reference to its directory.
 */
export { blobPath, hasBlob } from './blobs.ts';
export { type LayoutLayer, layoutLayer } from './layer.ts';
export { layoutIdentifier, layoutPath, REF_NAME_ANNOTATION } from './path.ts';
export { image, type LayoutImage, type LayoutSelect, readIndex } from './read.ts';
export { type LayoutWriteOptions, type LayoutWriteResult, write, writeFileAtomic } from './write.ts';
