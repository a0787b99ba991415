/**
 * Library surface: the phases as async functions (`detect`, `build`, `analyze`, `restore`,
 * `exportImage`, `create`, `rebase`), the platform types they use, and the image and layer toolkits.
 */
export * as image from './image/index.ts';
export * as layer from './layer/index.ts';
export * from './phase/index.ts';
export * from './platform/index.ts';
