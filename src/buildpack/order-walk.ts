import type { ModuleRef, Order } from '../files/index.ts';
import { isLifecycleError, LifecycleError, type Logger, messageOf } from '../platform/index.ts';
import { DETECT_ERROR, type DetectRun } from './detect.ts';
import { EMPTY_DETECT_PLAN } from './detect-plan.ts';
import type { BuildpackModule, ExtensionModule } from './lookup.ts';
import {
  type GroupMember,
  type MemberRun,
  type ResolveFailure,
  type ResolveOutcome,
  resolveGroup,
} from './resolve.ts';

/** What the order walk needs from its surroundings (injected, so the walk is testable without processes). */
export interface WalkDeps {
  /** Looks up a buildpack descriptor (API already verified). */
  lookup(id: string, version: string): Promise<BuildpackModule>;
  /** Looks up an image extension descriptor (only needed when the order has extensions). */
  lookupExtension?(id: string, version: string): Promise<ExtensionModule>;
  /** Runs bin/detect (called at most once per kind and id@version; the walk caches the promise). */
  detect(mod: BuildpackModule | ExtensionModule): Promise<DetectRun>;
  /** A target-mismatch message when the buildpack cannot run on the run image, else undefined. */
  targetMismatch(mod: BuildpackModule): string | undefined;
  /** Why a buildpack is left out of its group entirely (exec-env mismatch), else undefined. */
  skipped?(mod: BuildpackModule): string | undefined;
  /** Receives resolution logs (buffered by the caller). */
  readonly log: Logger;
}

/** The result of walking an order: the first group that resolved, or why none did. */
export type WalkOutcome = ResolveOutcome;

/** Composite nesting beyond this is treated as a cycle. */
const MAX_DEPTH = 256;

/** A group element: a buildpack or extension reference, or the extensions order as one element. */
type Element = (ModuleRef & { readonly extension?: boolean }) | { readonly extensions: Order };

interface Done {
  readonly member: GroupMember;
  readonly run: Promise<DetectRun>;
}

/**
 * Walks an order the way buildpack.md "Order Resolution" describes: groups are tried in sequence;
 * a composite buildpack's order is expanded in place, depth first, with the rest of the parent group
 * following each of its groups; an optional composite also gets a trial without it; an element whose
 * ID is already in the group (per kind) is skipped. An extensions order is prepended to every group
 * as one optional element whose extensions are all optional (buildpack.md "Order Resolution";
 * docs/reference-behaviour.md §2). Each trial's members run bin/detect concurrently (each kind and
 * id@version once across trials) and are then resolved (see `resolveGroup`).
 */
export class OrderWalk {
  readonly #deps: WalkDeps;
  readonly #runs = new Map<string, Promise<DetectRun>>();

  constructor(deps: WalkDeps) {
    this.#deps = deps;
  }

  /** Walks `order` (order.toml's `[[order]]`), with `[[order-extensions]]` when given. */
  walk(order: Order, orderExtensions: Order = []): Promise<WalkOutcome> {
    const groups: Element[][] = order.map((g) => [...g.group]);
    if (orderExtensions.some((g) => g.group.length > 0)) {
      const extensions: Order = orderExtensions.map((g) => ({
        group: g.group.map((r) => ({ ...r, optional: true, extension: true })),
      }));
      for (const [i, g] of groups.entries()) groups[i] = [{ extensions }, ...g];
    }
    return this.#order(groups, [], [], false, 0);
  }

  async #order(
    groups: readonly (readonly Element[])[],
    done: readonly Done[],
    next: readonly Element[],
    optional: boolean,
    depth: number,
  ): Promise<WalkOutcome> {
    // Each composite expansion nests one level; a composite that (indirectly) contains itself would
    // recurse forever, so stop with a clear error far beyond any real nesting.
    if (depth > MAX_DEPTH) {
      throw new LifecycleError(
        'ERR_ORDER_TOO_DEEP',
        'detect',
        `failed to detect: order expansion nested more than ${MAX_DEPTH} levels; does a meta-buildpack's order contain itself?`,
      );
    }
    let failure: ResolveFailure = 'failed';
    for (const g of groups) {
      const res = await this.#group([...g, ...next], done, depth);
      if (res.ok) return res;
      if (res.failure === 'errored') failure = 'errored';
    }
    if (optional) return this.#group(next, done, depth);
    return { ok: false, failure };
  }

  async #group(group: readonly Element[], doneIn: readonly Done[], depth: number): Promise<WalkOutcome> {
    const done = [...doneIn];
    for (const [i, el] of group.entries()) {
      if ('extensions' in el) {
        return this.#order(
          el.extensions.map((g) => g.group),
          done,
          group.slice(i + 1),
          true,
          depth + 1,
        );
      }
      const extension = el.extension === true;
      // De-duplication by kind + ID (docs/reference-behaviour.md §2 "Order and group expansion").
      if (done.some((d) => d.member.extension === extension && d.member.id === el.id)) continue;
      if (extension) {
        const mod = await this.#lookupExtension(el);
        const member = this.#member(el, mod.descriptor.api, mod.descriptor.extension.homepage, true);
        done.push({ member, run: this.#run(mod, `extension:${el.id}@${el.version}`) });
        continue;
      }
      const mod = await this.#lookup(el);
      if (mod.descriptor.order.length > 0) {
        return this.#order(
          mod.descriptor.order.map((g) => g.group),
          done,
          group.slice(i + 1),
          el.optional,
          depth + 1,
        );
      }
      const skip = this.#deps.skipped?.(mod);
      if (skip !== undefined) {
        this.#deps.log.debug(`Skipping ${el.id}@${el.version} due to ${skip}`);
        continue;
      }
      const member = this.#member(el, mod.descriptor.api, mod.descriptor.buildpack.homepage, false);
      const mismatch = this.#deps.targetMismatch(mod);
      // A required buildpack that cannot run on the run image fails the group as an error; an
      // optional one still runs (the reference's behaviour, docs/reference-behaviour.md §2).
      if (mismatch !== undefined && !el.optional) {
        done.push({
          member,
          run: Promise.resolve({ code: DETECT_ERROR, output: '', error: mismatch, plan: EMPTY_DETECT_PLAN }),
        });
        continue;
      }
      done.push({ member, run: this.#run(mod, `buildpack:${el.id}@${el.version}`) });
    }
    const runs: MemberRun[] = [];
    for (const d of done) runs.push({ member: d.member, run: await d.run });
    return resolveGroup(runs, this.#deps.log);
  }

  #member(ref: ModuleRef, api: string, homepage: string | undefined, extension: boolean): GroupMember {
    return {
      id: ref.id,
      version: ref.version,
      api,
      ...(homepage === undefined ? {} : { homepage }),
      optional: extension || ref.optional,
      extension,
    };
  }

  #run(mod: BuildpackModule | ExtensionModule, key: string): Promise<DetectRun> {
    let p = this.#runs.get(key);
    if (p === undefined) {
      p = this.#deps.detect(mod);
      this.#runs.set(key, p);
    }
    return p;
  }

  #lookup(ref: ModuleRef): Promise<BuildpackModule> {
    return wrapLookup(() => this.#deps.lookup(ref.id, ref.version));
  }

  #lookupExtension(ref: ModuleRef): Promise<ExtensionModule> {
    const lookup = this.#deps.lookupExtension;
    if (lookup === undefined)
      throw new LifecycleError('ERR_DETECT_LOOKUP', 'detect', 'no extension lookup configured');
    return wrapLookup(() => lookup(ref.id, ref.version));
  }
}

/**
 * A Buildpack API error keeps its exit code (12); other lookup errors during detection are detect
 * errors (22), as in the reference.
 */
async function wrapLookup<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isLifecycleError(e) && e.code === 'ERR_BUILDPACK_API_UNSUPPORTED') throw e;
    throw new LifecycleError('ERR_DETECT_LOOKUP', 'detect', `failed to detect: ${messageOf(e)}`, {
      cause: e,
    });
  }
}
