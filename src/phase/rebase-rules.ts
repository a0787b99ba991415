import type { LifecycleMetadata } from '../files/index.ts';
import type { ImageConfig } from '../image/index.ts';
import { parseReference } from '../image/index.ts';
import { parseApi, parseBoundedJson, platformFeatures } from '../platform/index.ts';

/**
 * The rebaser's spec rules as pure functions (platform.md `rebaser`; docs/reference-behaviour.md §8).
 * Each check returns problems as text; the phase turns them into errors, or warnings under `-force`.
 */

export const REBASABLE_LABEL = 'io.buildpacks.rebasable';
const BASE_PREFIX = 'io.buildpacks.base.';
const STACK_PREFIX = 'io.buildpacks.stack.';
const DISTRO_NAME = ['io.buildpacks.base.distro.name', 'io.buildpacks.distribution.name'] as const;
const DISTRO_VERSION = ['io.buildpacks.base.distro.version', 'io.buildpacks.distribution.version'] as const;

/** Target data of an image config as the rebaser compares it (platform.md "Target Data"). */
export interface RebaseTarget {
  readonly os: string;
  readonly arch: string;
  readonly variant?: string;
  readonly distroName?: string;
  readonly distroVersion?: string;
}

const label = (c: ImageConfig, keys: readonly string[]): string | undefined => {
  for (const k of keys) {
    const v = c.config.Labels?.[k];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
};

export function targetOf(c: ImageConfig): RebaseTarget {
  const opt = <K extends string>(k: K, v: string | undefined) =>
    v === undefined || v === '' ? {} : { [k]: v };
  return {
    os: c.os,
    arch: c.architecture,
    ...opt('variant', c.variant),
    ...opt('distroName', label(c, DISTRO_NAME)),
    ...opt('distroVersion', label(c, DISTRO_VERSION)),
  };
}

/**
 * The app image's Platform API, from its `CNB_PLATFORM_API` env (the exporter records it; S-4).
 * Validation follows the app's API, not the current one (docs/reference-behaviour.md §8).
 */
export function appPlatformApi(c: ImageConfig): string | undefined {
  const e = c.config.Env?.find((x) => x.startsWith('CNB_PLATFORM_API='));
  return e?.slice('CNB_PLATFORM_API='.length);
}

/** Apps built at Platform API 0.12+ are checked by target data, older ones by stack ID and mixins. */
function modernApp(c: ImageConfig): boolean {
  const v = appPlatformApi(c);
  const p = v === undefined ? undefined : parseApi(v);
  return p !== undefined && platformFeatures.targetData(p);
}

/**
 * Problems that `-force` overrides: rebasable=false and target mismatch (app API ≥ 0.12), or stack
 * id/mixins (older apps). `app` is the image being rebased (its labels came from the old run image).
 */
export function rebaseProblems(app: ImageConfig, newBase: ImageConfig): string[] {
  if (modernApp(app)) {
    const problems: string[] = [];
    if (app.config.Labels?.[REBASABLE_LABEL] === 'false')
      problems.push('app image is not marked as rebasable');
    const o = targetOf(app);
    const n = targetOf(newBase);
    const same = (a: string | undefined, b: string | undefined) =>
      a === undefined || b === undefined || a === b;
    const ok =
      o.os === n.os &&
      o.arch === n.arch &&
      same(o.variant, n.variant) &&
      (n.distroName === undefined || same(o.distroName, n.distroName)) &&
      (n.distroVersion === undefined || same(o.distroVersion, n.distroVersion));
    if (!ok)
      problems.push(
        `unable to satisfy target os/arch constraints; new run image: ${JSON.stringify(n)}, old run image: ${JSON.stringify(o)}`,
      );
    return problems;
  }
  return stackProblems(app, newBase);
}

function stackProblems(app: ImageConfig, newBase: ImageConfig): string[] {
  const appStack = app.config.Labels?.[`${STACK_PREFIX}id`];
  const newStack = newBase.config.Labels?.[`${STACK_PREFIX}id`];
  if (!appStack) return ['stack not defined on app image'];
  if (!newStack) return ['stack not defined on new base image'];
  if (appStack !== newStack)
    return [`incompatible stack: '${newStack}' is not compatible with '${appStack}'`];
  const mixins = (c: ImageConfig, which: string): string[] => {
    const raw = c.config.Labels?.[`${STACK_PREFIX}mixins`];
    if (raw === undefined || raw === '') return [];
    const v = parseBoundedJson(raw, `label ${STACK_PREFIX}mixins of the ${which}`);
    return Array.isArray(v) ? v.map((m) => String(m).replace(/^(build|run):/, '')) : [];
  };
  const have = new Set(mixins(newBase, 'new base image'));
  const missing = mixins(app, 'app image').filter((m) => !have.has(m));
  return missing.length > 0 ? [`missing required mixin(s): ${[...new Set(missing)].sort().join(', ')}`] : [];
}

/** Normalised name (`registry/repository`, tag or digest kept) for comparing references. */
export function normalName(ref: string): string {
  const r = parseReference(ref);
  return `${r.name}${r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`}`;
}

/** The run image names the app's metadata allows: `runImage` image+mirrors, else `stack.runImage`. */
export function allowedRunImages(m: LifecycleMetadata): string[] {
  const ri = m.runImage?.image ? m.runImage : m.stack?.runImage;
  if (!ri?.image) return [];
  return [ri.image, ...(ri.mirrors ?? [])];
}

/** True when `newBase` names one of the allowed run images (normalised; a different tag does not match). */
export function runImageAllowed(newBase: string, m: LifecycleMetadata): boolean {
  const want = normalName(newBase);
  return allowedRunImages(m).some((x) => {
    try {
      return normalName(x) === want;
    } catch {
      return false;
    }
  });
}

/**
 * Run image candidates in preference order (platform.md "Run Image Resolution"): those on the app
 * image's registry first, then the rest in metadata order.
 */
export function runImageCandidates(m: LifecycleMetadata, appImage: string): string[] {
  const all = allowedRunImages(m);
  const registry = parseReference(appImage).registry;
  const regOf = (x: string) => {
    try {
      return parseReference(x).registry;
    } catch {
      return '';
    }
  };
  return [...all.filter((x) => regOf(x) === registry), ...all.filter((x) => regOf(x) !== registry)];
}

/**
 * Labels of the rebased image: `io.buildpacks.base.*` (with `baseLabels`, Platform API 0.12+) and
 * `io.buildpacks.stack.*` come from the new run image (platform.md `rebaser`; platform-0.11.md syncs
 * the stack labels only); the app's own copies of them are removed first.
 */
export function rebasedLabelChanges(
  app: ImageConfig,
  newBase: ImageConfig,
  baseLabels = true,
): {
  remove: string[];
  set: Record<string, string>;
} {
  const synced = (k: string) =>
    k.startsWith(STACK_PREFIX) ||
    (baseLabels &&
      (k.startsWith(BASE_PREFIX) || DISTRO_NAME.includes(k as never) || DISTRO_VERSION.includes(k as never)));
  const remove = Object.keys(app.config.Labels ?? {}).filter(synced);
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(newBase.config.Labels ?? {})) if (synced(k)) set[k] = v;
  return { remove, set };
}
