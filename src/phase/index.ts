/** The phases as library functions (DESIGN.md "Shape of the system"). */
export * from './build.ts';
export * from './detect.ts';
export * from './image-store.ts';
export * from './privileges.ts';
export * from './export.ts';
export * from './analyze.ts';
export * from './run-image.ts';
export * from './restore.ts';
export * from './rebase.ts';
export * from './create.ts';
