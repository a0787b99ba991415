export * from './become.ts';
export * from './contain.ts';
export * from './docker-connector.ts';
export { chownTree, ensureOwner } from './tree.ts';
export * from './user.ts';
