import type { ModuleStore } from '../buildpack/index.ts';
import { hasExtensions, mergeSystem, type OrderFile, readOrder, readSystem } from '../files/index.ts';
import {
  type ApiVersion,
  checkExperimental,
  LifecycleError,
  type Logger,
  platformFeatures,
  toPhaseError,
} from '../platform/index.ts';

/**
 * The detector's order (platform.md "detector" Inputs `<order>`, platform-0.15.md `<system>`): read,
 * merged with the system buildpacks and checked before any buildpack runs.
 */

/** What reading the order needs of the detector's inputs (every path absolute). */
export interface OrderInputs {
  readonly order: string;
  readonly system?: string;
  readonly extensions?: string;
  readonly platformApi: ApiVersion;
  /** CNB_EXPERIMENTAL_MODE as the platform set it (unset fails experimental features). */
  readonly experimentalMode?: string | undefined;
}

function initError(e: unknown, what: string): never {
  // Errors that carry a specific exit code (e.g. 12) keep it (docs/reference-behaviour.md §0.4).
  throw toPhaseError(e, 'detectInit', `failed to initialize detector: ${what}`);
}

/**
 * Reads order.toml, merges system.toml's buildpacks into it from Platform API 0.15, applies the
 * experimental guard, and verifies every top-level element (exit 1 / 12).
 */
export async function loadOrder(opts: OrderInputs, store: ModuleStore, log: Logger): Promise<OrderFile> {
  const order = await withSystem(
    await readOrder(opts.order).catch((e) => initError(e, 'reading order')),
    opts,
    log,
  );
  if (hasExtensions(order)) {
    // Image extensions are experimental before Platform API 0.13 (platform.md "Experimental Features";
    // platform-0.13.md drops the mark; S-10).
    if (platformFeatures.extensionsExperimental(opts.platformApi))
      checkExperimental('Dockerfiles', opts.experimentalMode, log);
    if (opts.extensions === undefined) {
      throw new LifecycleError(
        'ERR_EXTENSIONS_DIR',
        'failed',
        `${opts.order} lists image extensions, but no extensions directory was given (-extensions)`,
      );
    }
  }
  // Every top-level element is looked up and its API verified before anything runs.
  await Promise.all([
    ...order.order.flatMap((g) => g.group.map((r) => store.buildpack(r.id, r.version))),
    ...order.orderExtensions.flatMap((g) => g.group.map((r) => store.extension(r.id, r.version))),
  ]).catch((e) => initError(e, 'resolving buildpacks'));
  return order;
}

/**
 * platform-0.15.md "detector": the `pre` and `post` buildpacks of `<system>` join every group of the
 * order; a missing file means none (D-310).
 */
async function withSystem(order: OrderFile, opts: OrderInputs, log: Logger): Promise<OrderFile> {
  if (!platformFeatures.systemBuildpacks(opts.platformApi) || opts.system === undefined) return order;
  const system = await readSystem(opts.system).catch((e) => initError(e, 'reading system'));
  if (system === undefined) {
    log.debug(`No system buildpacks found at ${opts.system}`);
    return order;
  }
  log.debug(
    `Merging ${system.pre.length} system buildpack(s) before and ${system.post.length} after every group from ${opts.system}`,
  );
  return { ...order, order: mergeSystem(order.order, system) };
}
