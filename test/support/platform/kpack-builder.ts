import { mutate } from '../../../src/image/mutate.ts';
import type { Image } from '../../../src/image/types.ts';
import {
  type ModuleDir,
  moduleLayers,
  type OrderGroup,
  orderToml,
  platformDirs,
  resolveOrder,
} from './builder.ts';
import { dir, entriesLayer, file } from './layers.ts';
import type { LifecycleDescriptor } from './release.ts';

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
  const dirs = await platformDirs(['/platform', '/platform/env']);
  const buildpacks = await moduleLayers(o.modules.filter((x) => x.kind === 'buildpack'));
  const order = resolveOrder(o.order, o.modules);
  const stack = await entriesLayer([
    dir('/cnb'),
    file('/cnb/stack.toml', `[run-image]\n  image = ${JSON.stringify(o.runImage)}\n`),
  ]);
  const orderLayer = await entriesLayer([dir('/cnb'), file('/cnb/order.toml', orderToml('order', order))]);
  const d = o.descriptor;
  return mutate(o.base, {
    addLayers: [dirs, lifecycleLayer, ...buildpacks.layers, stack, orderLayer],
    config: {
      workingDir: '/layers',
      labels: {
        'io.buildpacks.lifecycle.version': d.version,
        'io.buildpacks.buildpack.order': JSON.stringify(order.map((g) => ({ group: g }))),
        'io.buildpacks.buildpack.layers': JSON.stringify(buildpacks.label.buildpack),
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
