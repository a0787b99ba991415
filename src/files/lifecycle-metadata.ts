import { LifecycleError, messageOf, parseBoundedJson } from '../platform/index.ts';
import type { TomlTable } from './toml.ts';

/**
 * The `io.buildpacks.lifecycle.metadata` label (platform.md "Labels") and its TOML twin, the
 * `[metadata]` table of analyzed.toml. JSON keys are camelCase (`runImage`, `topLayer`, layer `data`),
 * TOML keys kebab-case (`run-image`, `top-layer`, layer `metadata`), as the reference writes them, so
 * images and analyzed.toml files interoperate with the Go lifecycle.
 */
export const LIFECYCLE_METADATA_LABEL = 'io.buildpacks.lifecycle.metadata';
export const BUILD_METADATA_LABEL = 'io.buildpacks.build.metadata';
export const PROJECT_METADATA_LABEL = 'io.buildpacks.project.metadata';

export interface LayerShaRef {
  readonly sha: string;
}

/** One layer of a buildpack: the `<layer>.toml` content plus the layer's diffID. */
export interface LayerMetadata {
  readonly sha: string;
  /** `[metadata]` of `<layer>.toml` (JSON `data`). */
  readonly data?: Record<string, unknown>;
  readonly build: boolean;
  readonly launch: boolean;
  readonly cache: boolean;
}

export interface BuildpackLayersMetadata {
  /** Buildpack ID. */
  readonly key: string;
  readonly version: string;
  readonly layers: Readonly<Record<string, LayerMetadata>>;
  /** `store.toml`'s `[metadata]`, persisted across builds. */
  readonly store?: { readonly metadata: Record<string, unknown> };
}

export interface RunImageMetadata {
  /** diffID of the run image's top layer. */
  readonly topLayer: string;
  /** Digest reference or image ID of the run image. */
  readonly reference: string;
  readonly image?: string;
  readonly mirrors?: readonly string[];
}

export interface LifecycleMetadata {
  readonly app?: readonly LayerShaRef[];
  readonly sbom?: LayerShaRef;
  readonly config?: LayerShaRef;
  readonly launcher?: LayerShaRef;
  readonly processTypes?: LayerShaRef;
  readonly buildpacks?: readonly BuildpackLayersMetadata[];
  readonly runImage?: RunImageMetadata;
  /** Deprecated mirror of `runImage` (platform.md "Deprecations"); the reference still writes it. */
  readonly stack?: { readonly runImage: { readonly image: string; readonly mirrors?: readonly string[] } };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
const shaRef = (v: unknown): LayerShaRef | undefined =>
  isObj(v) && typeof v['sha'] === 'string' && v['sha'] !== '' ? { sha: v['sha'] } : undefined;

/** Reads the metadata from either spelling (JSON label or TOML table): `camel` vs `kebab` key names. */
function fromObject(o: Obj, toml: boolean): LifecycleMetadata {
  const k = (camel: string, kebab: string) => o[toml ? kebab : camel];
  const buildpacks: BuildpackLayersMetadata[] = [];
  const bps = o['buildpacks'];
  if (Array.isArray(bps)) {
    for (const b of bps) {
      if (!isObj(b)) continue;
      const layers: Record<string, LayerMetadata> = {};
      if (isObj(b['layers'])) {
        for (const [name, l] of Object.entries(b['layers'])) {
          if (!isObj(l)) continue;
          const data = l[toml ? 'metadata' : 'data'];
          layers[name] = {
            sha: str(l['sha']),
            ...(isObj(data) ? { data } : {}),
            build: l['build'] === true,
            launch: l['launch'] === true,
            cache: l['cache'] === true,
          };
        }
      }
      const store = b['store'];
      buildpacks.push({
        key: str(b['key']),
        version: str(b['version']),
        layers,
        ...(isObj(store) && isObj(store['metadata']) ? { store: { metadata: store['metadata'] } } : {}),
      });
    }
  }
  const ri = k('runImage', 'run-image');
  const stack = o['stack'];
  const stackRun = isObj(stack) ? stack[toml ? 'run-image' : 'runImage'] : undefined;
  const app = Array.isArray(o['app']) ? o['app'].map(shaRef).filter((x) => x !== undefined) : undefined;
  const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : { [key]: v });
  return {
    ...opt('app', app),
    ...opt('sbom', shaRef(o['sbom'])),
    ...opt('config', shaRef(o['config'])),
    ...opt('launcher', shaRef(o['launcher'])),
    // JSON and TOML both use `process-types` in the reference; `processTypes` is accepted too.
    ...opt('processTypes', shaRef(o['process-types'] ?? o['processTypes'])),
    ...(Array.isArray(bps) ? { buildpacks } : {}),
    ...(isObj(ri)
      ? {
          runImage: {
            topLayer: str(ri[toml ? 'top-layer' : 'topLayer']),
            reference: str(ri['reference']),
            ...opt('image', typeof ri['image'] === 'string' && ri['image'] !== '' ? ri['image'] : undefined),
            ...opt('mirrors', strs(ri['mirrors'])),
          },
        }
      : {}),
    ...(isObj(stackRun) && typeof stackRun['image'] === 'string'
      ? { stack: { runImage: { image: stackRun['image'], ...opt('mirrors', strs(stackRun['mirrors'])) } } }
      : {}),
  };
}

/**
 * Parses the label's JSON. `image` names the image in the error. An absent or empty label is `{}`
 * (an image not built by a lifecycle); invalid JSON is an error.
 */
export function parseLifecycleMetadataLabel(json: string | undefined, image: string): LifecycleMetadata {
  if (json === undefined || json.trim() === '') return {};
  let v: unknown;
  try {
    // Bounded like every label reader (D-215): invalid, too deep or too large is an error naming both.
    v = parseBoundedJson(json, `label ${LIFECYCLE_METADATA_LABEL} of image ${image}`);
  } catch (e) {
    throw new LifecycleError('ERR_LABEL_INVALID', 'failed', messageOf(e), { cause: e });
  }
  if (!isObj(v))
    throw new LifecycleError(
      'ERR_LABEL_INVALID',
      'failed',
      `label ${LIFECYCLE_METADATA_LABEL} of image ${image} is not a JSON object`,
    );
  return fromObject(v, false);
}

/** Reads analyzed.toml's `[metadata]` table. */
export function lifecycleMetadataFromToml(t: TomlTable | undefined): LifecycleMetadata {
  return t === undefined ? {} : fromObject(t, true);
}

function layersOut(m: LifecycleMetadata, toml: boolean): Obj {
  const key = (camel: string, kebab: string) => (toml ? kebab : camel);
  const out: Obj = {};
  if (m.app !== undefined) out['app'] = m.app.map((a) => ({ sha: a.sha }));
  if (m.config) out['config'] = { sha: m.config.sha };
  if (m.launcher) out['launcher'] = { sha: m.launcher.sha };
  if (m.processTypes) out['process-types'] = { sha: m.processTypes.sha };
  if (m.sbom) out['sbom'] = { sha: m.sbom.sha };
  if (m.buildpacks) {
    out['buildpacks'] = m.buildpacks.map((b) => ({
      key: b.key,
      version: b.version,
      layers: Object.fromEntries(
        Object.keys(b.layers)
          .sort()
          .map((name) => {
            const l = b.layers[name]!;
            return [
              name,
              {
                sha: l.sha,
                ...(l.data === undefined ? {} : { [toml ? 'metadata' : 'data']: l.data }),
                build: l.build,
                launch: l.launch,
                cache: l.cache,
              },
            ];
          }),
      ),
      ...(b.store === undefined ? {} : { store: { metadata: b.store.metadata } }),
    }));
  }
  if (m.runImage) {
    out[key('runImage', 'run-image')] = {
      [key('topLayer', 'top-layer')]: m.runImage.topLayer,
      reference: m.runImage.reference,
      ...(m.runImage.image === undefined ? {} : { image: m.runImage.image }),
      ...(m.runImage.mirrors === undefined ? {} : { mirrors: [...m.runImage.mirrors] }),
    };
  }
  if (m.stack) {
    out['stack'] = {
      [key('runImage', 'run-image')]: {
        image: m.stack.runImage.image,
        ...(m.stack.runImage.mirrors === undefined ? {} : { mirrors: [...m.stack.runImage.mirrors] }),
      },
    };
  }
  return out;
}

/** The label value: JSON with a fixed key order, so equal metadata gives equal config digests. */
export function lifecycleMetadataLabel(m: LifecycleMetadata): string {
  return JSON.stringify(layersOut(m, false));
}

/** The `[metadata]` table for analyzed.toml. */
export function lifecycleMetadataToToml(m: LifecycleMetadata): TomlTable {
  return layersOut(m, true);
}
