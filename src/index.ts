/** Library surface: the phases as async functions, plus the platform types they use. */
export * from './phase/index.ts';
export * from './platform/index.ts';
