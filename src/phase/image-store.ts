import { LifecycleError } from '../platform/index.ts';
import { daemonStore, layoutStore } from './image-store-local.ts';
import { registryStore } from './image-store-registry.ts';
import type { ImageStore, ImageStoreOptions } from './image-store-types.ts';

export { isLayoutPath, layoutPathFor } from './image-store-local.ts';
export type {
  ImageStore,
  ImageStoreInputs,
  ImageStoreOptions,
  StoreKind,
  StoreWriteOutcome,
  StoreWriteResult,
} from './image-store-types.ts';

/**
 * One facade over the three image sources/sinks a phase may use (platform.md `-daemon`, `-layout`,
 * registry by default), so phases read "store.read(ref) → … → store.write(tags, img)" whatever the
 * inputs chose. Each mode delegates to `src/image` (`remote`, `daemon`, `layout`): the registry store in
 * image-store-registry.ts, the daemon and layout stores in image-store-local.ts.
 */

/** Picks the store for the inputs. */
export function imageStore(o: ImageStoreOptions): ImageStore {
  if (o.layout) {
    if (o.layoutDir === undefined || o.layoutDir === '')
      throw new LifecycleError(
        'ERR_INVALID_ARGS',
        'invalidArgs',
        '-layout needs -layout-dir (or CNB_LAYOUT_DIR): the root directory of the OCI layout images',
      );
    return layoutStore(o.layoutDir);
  }
  if (o.daemon) return daemonStore(o);
  return registryStore(o);
}
