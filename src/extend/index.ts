/**
 * Image extension (image-extension.md "Phase: Extension"; platform.md "extender"): a Dockerfile applier
 * for the live root filesystem, without kaniko, and filesystem snapshots that turn its changes into layers.
 */
export * from './apply.ts';
export * from './base-image.ts';
export * from './container.ts';
export * from './copy.ts';
export * from './dockerfile-steps.ts';
export * from './dockerfiles.ts';
export * from './dockerignore.ts';
export * from './root-path.ts';
export * from './run.ts';
export * from './snapshot.ts';
export * from './users.ts';
export { execForm, parsePairs, processWord, splitWords, type Vars, WordError } from './words.ts';
