/** Buildpacks: descriptors, detection, execution (buildpack.md). */

export * from './build.ts';
export * from './build-errors.ts';
export * from './build-layers.ts';
export * from './build-processes.ts';
export * from './build-sbom.ts';
export * from './detect.ts';
export * from './detect-plan.ts';
export * from './dockerfile.ts';
export * from './exec.ts';
export * from './generate.ts';
export * from './generated-dir.ts';
export * from './lookup.ts';
export * from './order-walk.ts';
export * from './resolve.ts';
export * from './target.ts';
