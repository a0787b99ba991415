import { mutate } from '../../../src/image/mutate.ts';
import type { Image } from '../../../src/image/types.ts';
import { escapeId, type ModuleDir, type OrderGroup, resolveOrder } from './builder.ts';
import { dir, dirLayer, entriesLayer, file, parentDirs } from './layers.ts';
import type { LifecycleDescriptor } from './release.ts';
import { BUILD_USER } from './stack.ts';

/**
 * A builder as kpack's ClusterBuilder reconciler assembles it (buildpacks-community/kpack
 * pkg/cnb/builder_builder.go): on the build image, a dirs layer (`/workspace`, `/layers` owned by the
 * build user; `/cnb`, `/cnb/buildpacks`, `/platform`, `/platform/env` root-owned), the **last layer of
 * the lifecycle image** as it is, one layer per buildpack, `/cnb/stack.toml`, `/cnb/order.toml` (no
 * run.toml), `WorkingDir=/layers` and kpack's labels.
 */
export async function kpackBuilderImage(o: {
  readonly base: Image;
  readonly lifecycleImage: Image;
  readonly descriptor: LifecycleDescriptor;
  readonly modules: readonly ModuleDir[];
  readonly order: readonly OrderGroup[];
  readonly runImage: string;
}): Promise<Image> {
  const lifecycleLayer = o.lifecycleImage.layers[o.lifecycleImage.layers.length - 1];
  if (!lifecycleLayer) throw new Error('the lifecycle image has no layers');
  const uid = BUILD_USER.uid;
  const gid = BUILD_USER.gid;
  const dirs = await entriesLayer([
    dir('/workspace', { uid, gid }),
    dir('/layers', { uid, gid }),
    dir('/cnb'),
    dir('/cnb/buildpacks'),
    dir('/platform'),
    dir('/platform/env'),
  ]);
  const bpLayers = [];
  const layersLabel: Record<string, Record<string, unknown>> = {};
  for (const m of o.modules.filter((x) => x.kind === 'buildpack')) {
    const at = `/cnb/buildpacks/${escapeId(m.id)}/${m.version}`;
    const layer = await dirLayer(m.path, at, { parents: parentDirs(at) });
    bpLayers.push(layer);
    layersLabel[m.id] = { ...layersLabel[m.id], [m.version]: { api: m.api, layerDiffID: layer.diffID } };
  }
  const order = resolveOrder(o.order, o.modules);
  const orderToml = order
    .map(
      (g) =>
        `[[order]]\n${g.map((e) => `\n  [[order.group]]\n    id = ${JSON.stringify(e.id)}\n    version = ${JSON.stringify(e.version)}\n`).join('')}`,
    )
    .join('\n');
  const stack = await entriesLayer([
    dir('/cnb'),
    file('/cnb/stack.toml', `[run-image]\n  image = ${JSON.stringify(o.runImage)}\n`),
  ]);
  const orderLayer = await entriesLayer([dir('/cnb'), file('/cnb/order.toml', orderToml)]);
  const d = o.descriptor;
  return mutate(o.base, {
    addLayers: [dirs, lifecycleLayer, ...bpLayers, stack, orderLayer],
    config: {
      workingDir: '/layers',
      labels: {
        'io.buildpacks.lifecycle.version': d.version,
        'io.buildpacks.buildpack.order': JSON.stringify(order.map((g) => ({ group: g }))),
        'io.buildpacks.buildpack.layers': JSON.stringify(layersLabel),
        'io.buildpacks.lifecycle.apis': JSON.stringify(d.apis),
        'io.buildpacks.builder.metadata': JSON.stringify({
          description: 'Custom Builder built with kpack',
          stack: { runImage: { image: o.runImage, mirrors: null } },
          lifecycle: { version: d.version, api: d.api, apis: d.apis },
          createdBy: { name: 'kpack Builder', version: 'test' },
          buildpacks: o.modules
            .filter((m) => m.kind === 'buildpack')
            .map((m) => ({ id: m.id, version: m.version })),
        }),
      },
    },
  });
}
