import { LifecycleError } from '../../platform/index.ts';
import { parseReference } from '../reference.ts';
import { type DaemonOptions, engineFor } from './read.ts';

/**
 * Tags the daemon image `source` (name or ID) as `target` (`name:tag`).
 * @throws LifecycleError `ERR_IMAGE_REFERENCE` for a digest target, `ERR_IMAGE_NOT_FOUND` when `source` is absent.
 */
export async function tag(source: string, target: string, opts: DaemonOptions = {}): Promise<void> {
  const engine = engineFor(opts);
  const r = parseReference(target);
  if (r.tag === undefined || r.digest !== undefined) {
    throw new LifecycleError(
      'ERR_IMAGE_REFERENCE',
      'invalidArgs',
      `cannot tag ${source} as ${target} in the docker daemon at ${engine.host}: a tag needs name:tag, not a digest`,
    );
  }
  await engine.tagImage(source, r.name, r.tag, opts.signal);
}
