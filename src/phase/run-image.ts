import type { RunFile, RunImageEntry, TargetMetadata } from '../files/index.ts';
import type { ImageConfig } from '../image/index.ts';
import { parseReference } from '../image/index.ts';
import { LifecycleError } from '../platform/index.ts';

/**
 * Run image resolution and run image target data (platform.md "Run Image Resolution", "Target Data",
 * "analyzed.toml"), as pure functions: access checks come in as a callback.
 */

/** Labels that carry target data (platform.md "Target Data"; the draft names are read too, S-11). */
export const TARGET_LABELS = {
  id: 'io.buildpacks.base.id',
  distroName: 'io.buildpacks.base.distro.name',
  distroVersion: 'io.buildpacks.base.distro.version',
  draftId: 'io.buildpacks.id',
  draftDistroName: 'io.buildpacks.distribution.name',
  draftDistroVersion: 'io.buildpacks.distribution.version',
  stackId: 'io.buildpacks.stack.id',
} as const;

/** The deprecated bionic stack and what it stands for (platform.md "analyzed.toml"; `amd64`, see decisions). */
const BIONIC = {
  stackId: 'io.buildpacks.stacks.bionic',
  os: 'linux',
  arch: 'amd64',
  name: 'ubuntu',
  version: '18.04',
};

/** Whether a run image candidate is readable, and why not (the registry's answer, for the message). */
export interface ReadCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/** The registry of a reference, or undefined when it does not parse. */
function registryOf(ref: string): string | undefined {
  try {
    return parseReference(ref).registry;
  } catch {
    return undefined;
  }
}

/**
 * Picks the run image among an `[[images]]` entry's `image` and `mirrors` (platform.md "Run Image
 * Resolution"; the reference's BestRunImageMirrorFor): a readable one on the app image's registry,
 * else the first readable one. `canRead` answers true for every candidate in daemon and layout mode.
 * @throws LifecycleError exit 3 `failed to find accessible run image` when none is readable.
 */
export async function bestRunImageMirror(
  entry: RunImageEntry,
  appImage: string,
  canRead: (ref: string) => Promise<ReadCheck>,
): Promise<string> {
  if (entry.image === undefined || entry.image === '')
    throw new LifecycleError(
      'ERR_RUN_IMAGE',
      'invalidArgs',
      'failed to resolve inputs: missing run image metadata (the first [[images]] entry of run.toml has no image)',
    );
  const candidates = [entry.image, ...entry.mirrors];
  const readable = new Map<string, Promise<ReadCheck>>();
  const check = async (c: string) => {
    let p = readable.get(c);
    if (p === undefined) {
      p = canRead(c);
      readable.set(c, p);
    }
    return (await p).ok;
  };
  const target = registryOf(appImage);
  for (const c of candidates)
    if (target !== undefined && registryOf(c) === target && (await check(c))) return c;
  for (const c of candidates) if (await check(c)) return c;
  // Say what each registry answered (a 500 is not a credentials problem).
  const reasons: string[] = [];
  for (const c of candidates) {
    const why = (await readable.get(c))?.reason;
    if (why !== undefined && why !== '') reasons.push(`${c}: ${why}`);
  }
  throw new LifecycleError(
    'ERR_RUN_IMAGE',
    'invalidArgs',
    `failed to resolve inputs: failed to find accessible run image among ${candidates.join(', ')}` +
      (reasons.length > 0 ? ` (${reasons.join('; ')})` : '') +
      '; check that the registries are up and the credentials (CNB_REGISTRY_AUTH or docker config.json) give read access, or pass -run-image',
  );
}

/**
 * The run image to use (platform.md `analyzer` "`<run-image>` … resolved from `<run>`"): `-run-image`
 * when given, else the best mirror of run.toml's first `[[images]]` entry.
 * @throws LifecycleError exit 3 `-run-image is required when there is no run metadata available`.
 */
export async function resolveRunImage(o: {
  readonly runImage?: string | undefined;
  readonly runFile: RunFile | undefined;
  /** Path of run.toml, for the message. */
  readonly runPath: string;
  readonly appImage: string;
  readonly canRead: (ref: string) => Promise<ReadCheck>;
}): Promise<string> {
  if (o.runImage !== undefined && o.runImage !== '') return o.runImage;
  const first = o.runFile?.images[0];
  if (first === undefined)
    throw new LifecycleError(
      'ERR_RUN_IMAGE_REQUIRED',
      'invalidArgs',
      `failed to resolve inputs: -run-image is required when there is no run metadata available (${o.runPath} ${
        o.runFile === undefined ? 'does not exist' : 'has no [[images]]'
      }); pass -run-image or CNB_RUN_IMAGE, or give run.toml with -run`,
    );
  return bestRunImageMirror(first, o.appImage, o.canRead);
}

/**
 * The run.toml entry describing `runImage` for the image's metadata (platform.md "Run Image
 * Resolution", mirrors information): the first entry whose image or a mirror is `runImage`, else the
 * first entry; `{ image: runImage, mirrors: [] }` when run.toml has none.
 */
export function runImageEntryFor(runFile: RunFile | undefined, runImage: string): RunImageEntry {
  const images = runFile?.images ?? [];
  const same = (a: string | undefined) => a !== undefined && sameReference(a, runImage);
  return (
    images.find((e) => same(e.image) || e.mirrors.some(same)) ?? images[0] ?? { image: runImage, mirrors: [] }
  );
}

/** True when an `[[images]]` entry of run.toml names `image` as its image or a mirror (the reference's `Contains`). */
export function runFileContains(runFile: RunFile | undefined, image: string): boolean {
  const same = (a: string | undefined) => a !== undefined && sameReference(a, image);
  return (runFile?.images ?? []).some((e) => same(e.image) || e.mirrors.some(same));
}

function sameReference(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return parseReference(a).toString() === parseReference(b).toString();
  } catch {
    return false;
  }
}

/**
 * Target data of a run image from its config (platform.md "Target Data"; the reference's
 * GetTargetMetadata): `os`, `architecture`, `variant`; labels `io.buildpacks.base.id` and
 * `io.buildpacks.base.distro.name|version` (draft `io.buildpacks.id`, `io.buildpacks.distribution.*`).
 * Without distro labels, an `io.buildpacks.stack.id` of `io.buildpacks.stacks.bionic` means
 * ubuntu 18.04 (os linux, arch amd64 when unset).
 */
export function targetFromConfig(
  config: Pick<ImageConfig, 'os' | 'architecture' | 'variant' | 'config'>,
): TargetMetadata {
  const labels = config.config?.Labels ?? {};
  const label = (k: string, draft?: string): string | undefined =>
    labels[k] ?? (draft === undefined ? undefined : labels[draft]);
  const id = label(TARGET_LABELS.id, TARGET_LABELS.draftId);
  const name = label(TARGET_LABELS.distroName, TARGET_LABELS.draftDistroName);
  const version = label(TARGET_LABELS.distroVersion, TARGET_LABELS.draftDistroVersion);
  let os = config.os ?? '';
  let arch = config.architecture ?? '';
  let distro =
    name !== undefined || version !== undefined ? { name: name ?? '', version: version ?? '' } : undefined;
  if (distro === undefined && labels[TARGET_LABELS.stackId] === BIONIC.stackId) {
    distro = { name: BIONIC.name, version: BIONIC.version };
    if (os === '') os = BIONIC.os;
    if (arch === '') arch = BIONIC.arch;
  }
  const variant = config.variant ?? '';
  return {
    ...(id === undefined || id === '' ? {} : { id }),
    os,
    arch,
    ...(variant === '' ? {} : { archVariant: variant }),
    ...(distro === undefined ? {} : { distro }),
  };
}

/**
 * {@link targetFromConfig}, requiring an OS (docs/reference-behaviour.md §1: exit 32,
 * `failed to find OS in run image config`).
 */
export function runImageTarget(
  config: Pick<ImageConfig, 'os' | 'architecture' | 'variant' | 'config'>,
  name: string,
): TargetMetadata {
  const t = targetFromConfig(config);
  if (t.os === '')
    throw new LifecycleError(
      'ERR_RUN_IMAGE_TARGET',
      'analyze',
      `failed to find OS in run image config of ${name}; the run image must set "os" (and "architecture") in its config`,
    );
  return t;
}
