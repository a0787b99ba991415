/** The phases as library functions (DESIGN.md "Shape of the system"). */
export * from './build.ts';
export * from './detect.ts';
