import type { BuildMetadata } from '../files/index.ts';
import { processTypeProblem } from '../files/index.ts';
import { type Image, parseReference } from '../image/index.ts';
import { LifecycleError, type Logger, messageOf } from '../platform/index.ts';
import type { ImageStore } from './image-store.ts';

/** Checks of the exporter's inputs and how it names the images it reads (docs/reference-behaviour.md §6). */

const exportError = (msg: string) => new LifecycleError('ERR_EXPORT', 'export', msg);

/** S-5: process types that cannot be a file name under `/cnb/process` fail the export (62). */
export function checkProcessTypes(meta: BuildMetadata, log: Logger): void {
  for (const p of meta.processes) {
    const problem = processTypeProblem(p.type);
    if (problem === 'invalid') throw exportError(`invalid process type '${p.type}'`);
    if (problem === 'nonstandard')
      log.warn(`process type '${p.type}' should contain only letters, digits, '.', '_' and '-'`);
  }
}

/** Registry mode: every name on one registry (platform.md "exporter" Inputs), else exit 3. */
export function checkOneRegistry(images: readonly string[]): void {
  const registries = new Set<string>();
  for (const i of images) {
    try {
      registries.add(parseReference(i).registry);
    } catch (e) {
      throw new LifecycleError('ERR_INVALID_ARGS', 'invalidArgs', messageOf(e), { cause: e });
    }
  }
  if (registries.size > 1)
    throw new LifecycleError(
      'ERR_INVALID_ARGS',
      'invalidArgs',
      `writing to multiple registries is unsupported: ${[...registries].join(', ')}`,
    );
}

/** A layout identifier `<path>@sha256:…` names the path; other references are used as they are. */
export function readable(store: ImageStore, ref: string): string {
  return store.kind === 'layout' && ref.startsWith('/') ? ref.replace(/@sha256:[0-9a-f]{64}$/, '') : ref;
}

/** Reads an image that must exist (the run image). */
export async function readImage(store: ImageStore, ref: string, what: string): Promise<Image> {
  const img = await store.read(readable(store, ref));
  if (img === undefined) throw exportError(`failed to find ${what} '${ref}'`);
  return img;
}
