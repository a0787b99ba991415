/**
 * OCI images (DESIGN.md "Style" 2): the read-only model, references, and the three sources/sinks as
 * namespaces, so a phase reads as a sentence: `remote.image(ref)` → `rebase(…)` → `remote.write(ref, img)`.
 */

export * from './assemble.ts';
export * as auth from './auth/index.ts';
export * as daemon from './daemon/index.ts';
export * from './json.ts';
export * as layout from './layout/index.ts';
export * from './mutate.ts';
export { defaultPlatform, goArch, type PlatformSpec } from './platform.ts';
export * from './rebase.ts';
export * from './reference.ts';
export * as remote from './remote/index.ts';
export * from './types.ts';
