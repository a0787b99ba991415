/** Build and launch environment rules (buildpack.md "Environment"; platform.md "Environment"). */

export * from './build-env.ts';
export * from './env-dir.ts';
export * from './modify.ts';
export * from './platform-env.ts';
