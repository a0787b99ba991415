export * from './api.ts';
export * from './errors.ts';
export * from './exit-codes.ts';
export * from './log.ts';
