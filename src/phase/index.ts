/** The phases as library functions (DESIGN.md "Shape of the system"). */

export * from './analyze.ts';
export * from './analyze-references.ts';
export * from './analyze-sbom.ts';
export * from './build.ts';
export * from './create.ts';
export * from './detect.ts';
export { execEnvMismatch, targetMismatch } from './detect-skips.ts';
export * from './export.ts';
export { guardExtendedLayers } from './export-extended.ts';
export * from './extend.ts';
export * from './extend-build.ts';
export * from './extend-run.ts';
export * from './image-store.ts';
export * from './privileges/index.ts';
export * from './rebase.ts';
export * from './restore.ts';
export * from './run-image.ts';
