/** Data files of the lifecycle (platform.md "Data Format", buildpack.md): one module per file. */

export * from './analyzed.ts';
export * from './bp-plan.ts';
export * from './build-metadata.ts';
export * from './build-toml.ts';
export * from './buildpack-toml.ts';
export * from './extension-toml.ts';
export * from './group.ts';
export * from './launch.ts';
export * from './layer-toml.ts';
export * from './lifecycle-metadata.ts';
export * from './order.ts';
export * from './plan.ts';
export * from './project-metadata.ts';
export * from './report.ts';
export * from './run.ts';
export * from './store-toml.ts';
export * from './system.ts';
export * from './toml.ts';
