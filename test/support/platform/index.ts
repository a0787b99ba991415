/**
 * Support for the platform tests (test/platforms): real base images (Debian minbase by debootstrap,
 * cached per machine), builder images laid out as `pack builder create` does, the release artifacts of
 * `npm run package`, publishing to the loopback registry and the test engine, and containers created as
 * pack, kpack, Tekton and Shipwright create them. Reusable by other container tests (the extender's).
 */
export * from './builder.ts';
export * from './containers.ts';
export * from './kpack-builder.ts';
export * from './layers.ts';
export * from './publish.ts';
export * from './release.ts';
export * from './rootfs.ts';
export * from './stack.ts';
export * from './world.ts';
