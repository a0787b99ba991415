/** Data files of the lifecycle (platform.md "Data Format", buildpack.md): one module per file. */
export * from './toml.ts';
