import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { mutate } from '../../../src/image/mutate.ts';
import type { Image } from '../../../src/image/types.ts';
import type { FileLayer } from '../../../src/layer/index.ts';
import { dir, dirLayer, entriesLayer, file, parentDirs, symlink } from './layers.ts';
import type { LifecycleRelease } from './release.ts';
import { BUILD_USER, STACK_ID } from './stack.ts';

/**
 * A builder image laid out as `pack builder create` lays it out (pack internal/builder/builder.go):
 * on a build image, a layer of the platform dirs (`/workspace` and `/layers` owned by the build user,
 * `/cnb`, `/cnb/buildpacks`, `/cnb/extensions`, `/platform/env` root-owned), the lifecycle layer
 * (`/cnb/lifecycle` from the release tarball and the `/lifecycle` compatibility link), one layer per
 * buildpack or extension at `/cnb/{buildpacks,extensions}/<escaped id>/<version>/`, then `/cnb/order.toml`,
 * `/cnb/stack.toml`, `/cnb/run.toml`, and the labels pack writes (`io.buildpacks.builder.metadata` & co.),
 * `WorkingDir=/layers`. Nothing else: no Node.
 */

/** A buildpack or extension directory (with `buildpack.toml` or `extension.toml`). */
export interface ModuleDir {
  readonly path: string;
  readonly kind: 'buildpack' | 'extension';
  readonly id: string;
  readonly version: string;
  readonly api: string;
  readonly homepage?: string;
}

/** Reads `buildpack.toml` (or `extension.toml`) of a module directory. */
export async function readModule(path: string): Promise<ModuleDir> {
  const files = await readdir(path);
  const kind = files.includes('extension.toml') ? 'extension' : 'buildpack';
  const t = parse(await readFile(join(path, `${kind}.toml`), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const info = t[kind] ?? {};
  return {
    path,
    kind,
    id: String(info['id']),
    version: String(info['version']),
    api: String(t['api'] ?? ''),
    ...(typeof info['homepage'] === 'string' ? { homepage: info['homepage'] } : {}),
  };
}

/** Every module under `root/<escaped id>/<version>/` (the layout of testdata and of `/cnb/buildpacks`). */
export async function readModules(root: string): Promise<ModuleDir[]> {
  const out: ModuleDir[] = [];
  for (const id of (await readdir(root)).sort())
    for (const version of (await readdir(join(root, id))).sort())
      out.push(await readModule(join(root, id, version)));
  return out;
}

/** One group of an order: ids with optional versions and `optional` flags. */
export type OrderGroup = readonly {
  readonly id: string;
  readonly version?: string;
  readonly optional?: boolean;
}[];

/** Options of {@link builderImage}. */
export interface BuilderOptions {
  /** The build image (see stack.ts `buildBaseImage`). */
  readonly base: Image;
  readonly lifecycle: LifecycleRelease;
  readonly modules: readonly ModuleDir[];
  readonly order: readonly OrderGroup[];
  readonly orderExtensions?: readonly OrderGroup[];
  /** Run image names for `/cnb/run.toml` (first is the default) and the deprecated `/cnb/stack.toml`. */
  readonly runImages: readonly string[];
  readonly description?: string;
}

/** `order.toml` text (`[[order]]` or `[[order-extensions]]` groups, versions and `optional` as given). */
export function orderToml(key: string, order: readonly OrderGroup[]): string {
  return order
    .map(
      (g) =>
        `[[${key}]]\n` +
        g
          .map(
            (e) =>
              `  [[${key}.group]]\n    id = ${JSON.stringify(e.id)}\n` +
              (e.version ? `    version = ${JSON.stringify(e.version)}\n` : '') +
              (e.optional ? '    optional = true\n' : ''),
          )
          .join(''),
    )
    .join('\n');
}

/** `id` with `/` replaced by `_`, as `/cnb/buildpacks/<escaped id>` (buildpack.md "Buildpack Path"). */
export function escapeId(id: string): string {
  return id.replaceAll('/', '_');
}

function orderLabel(order: readonly OrderGroup[]): string {
  return JSON.stringify(
    order.map((g) => ({
      group: g.map((e) => ({
        id: e.id,
        ...(e.version ? { version: e.version } : {}),
        ...(e.optional ? { optional: true } : {}),
      })),
    })),
  );
}

/** The order with every version filled in from the modules, as `pack builder create` writes it. */
export function resolveOrder(order: readonly OrderGroup[], modules: readonly ModuleDir[]): OrderGroup[] {
  return order.map((g) =>
    g.map((e) => {
      if (e.version) return e;
      const m = modules.find((x) => x.id === e.id);
      if (!m) throw new Error(`order: ${e.id} is not among the builder's buildpacks and extensions`);
      return { ...e, version: m.version };
    }),
  );
}

/**
 * The platform dirs layer both pack and kpack put first: `/workspace` and `/layers` owned by the build
 * user, `/cnb` and `/cnb/buildpacks` root-owned, then `extra` root-owned dirs.
 */
export async function platformDirs(extra: readonly string[]): Promise<FileLayer> {
  const { uid, gid } = BUILD_USER;
  return entriesLayer([
    dir('/workspace', { uid, gid }),
    dir('/layers', { uid, gid }),
    dir('/cnb'),
    dir('/cnb/buildpacks'),
    ...extra.map((p) => dir(p)),
  ]);
}

/**
 * One layer per module at `/cnb/{buildpacks,extensions}/<escaped id>/<version>/` and the
 * `io.buildpacks.{buildpack,extension}.layers` labels' content (`api`, `layerDiffID`, `homepage`).
 */
export async function moduleLayers(modules: readonly ModuleDir[]): Promise<{
  layers: { layer: FileLayer; history: { created_by: string } }[];
  label: Record<ModuleDir['kind'], Record<string, Record<string, unknown>>>;
}> {
  const layers = [];
  const label: Record<ModuleDir['kind'], Record<string, Record<string, unknown>>> = {
    buildpack: {},
    extension: {},
  };
  for (const m of modules) {
    const at = `/cnb/${m.kind === 'buildpack' ? 'buildpacks' : 'extensions'}/${escapeId(m.id)}/${m.version}`;
    const layer = await dirLayer(m.path, at, { parents: parentDirs(at) });
    layers.push({ layer, history: { created_by: `${m.kind} ${m.id}@${m.version}` } });
    label[m.kind][m.id] ??= {};
    const byId = label[m.kind][m.id] as Record<string, unknown>;
    byId[m.version] = {
      api: m.api,
      layerDiffID: layer.diffID,
      ...(m.homepage ? { homepage: m.homepage } : {}),
    };
  }
  return { layers, label };
}

/** Assembles the builder image (no registry or daemon involved; push it with `publish`). */
export async function builderImage(opts: BuilderOptions): Promise<Image> {
  const o: BuilderOptions = {
    ...opts,
    order: resolveOrder(opts.order, opts.modules),
    ...(opts.orderExtensions ? { orderExtensions: resolveOrder(opts.orderExtensions, opts.modules) } : {}),
  };
  const dirs = await platformDirs([
    '/cnb/extensions',
    '/platform',
    '/platform/env',
    '/cnb/build-config',
    '/cnb/build-config/env',
  ]);
  const lifecycle = await entriesLayer([
    dir('/cnb'),
    dir('/cnb/lifecycle'),
    ...o.lifecycle.entries,
    symlink('/lifecycle', '/cnb/lifecycle'),
  ]);
  const modules = await moduleLayers(o.modules);
  const layersLabel = modules.label;
  const orderText =
    orderToml('order', o.order) +
    (o.orderExtensions?.length ? `\n${orderToml('order-extensions', o.orderExtensions)}` : '');
  const [defaultRun, ...mirrors] = o.runImages;
  const tomls = await entriesLayer([
    dir('/cnb'),
    file('/cnb/order.toml', orderText),
    file('/cnb/stack.toml', `[run-image]\n  image = ${JSON.stringify(defaultRun ?? '')}\n`),
    file(
      '/cnb/run.toml',
      `[[images]]\n  image = ${JSON.stringify(defaultRun ?? '')}\n  mirrors = ${JSON.stringify(mirrors)}\n`,
    ),
  ]);
  const info = (m: ModuleDir) => ({
    id: m.id,
    version: m.version,
    ...(m.homepage ? { homepage: m.homepage } : {}),
  });
  const d = o.lifecycle.descriptor;
  const metadata = {
    description: o.description ?? 'platform test builder',
    buildpacks: o.modules.filter((m) => m.kind === 'buildpack').map(info),
    extensions: o.modules.filter((m) => m.kind === 'extension').map(info),
    stack: { runImage: { image: defaultRun ?? '', mirrors } },
    images: [{ image: defaultRun ?? '', mirrors }],
    lifecycle: {
      version: d.version,
      api: d.api,
      apis: d.apis,
    },
    createdBy: { name: 'cnb-lifecycle-ts platform tests', version: '0' },
  };
  return mutate(o.base, {
    addLayers: [
      { layer: dirs, history: { created_by: 'builder dirs' } },
      { layer: lifecycle, history: { created_by: `lifecycle ${d.version}` } },
      ...modules.layers,
      { layer: tomls, history: { created_by: 'order, stack, run' } },
    ],
    config: {
      workingDir: '/layers',
      labels: {
        'io.buildpacks.builder.metadata': JSON.stringify(metadata),
        'io.buildpacks.buildpack.order': orderLabel(o.order),
        'io.buildpacks.buildpack.order-extensions': o.orderExtensions?.length
          ? orderLabel(o.orderExtensions)
          : 'null',
        'io.buildpacks.buildpack.layers': JSON.stringify(layersLabel.buildpack),
        'io.buildpacks.extension.layers': JSON.stringify(layersLabel.extension),
        'io.buildpacks.stack.mixins': '[]',
        'io.buildpacks.stack.id': STACK_ID,
      },
    },
  });
}
