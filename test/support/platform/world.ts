import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Image } from '../../../src/image/types.ts';
import { type Dockerd, startDockerd } from '../docker.ts';
import { type RegistryHandle, startRegistry } from '../registry.ts';
import { builderImage, type ModuleDir, type OrderGroup, readModules } from './builder.ts';
import { kpackBuilderImage } from './kpack-builder.ts';
import { removeBlobs } from './layers.ts';
import { type Published, publish as publishImage } from './publish.ts';
import { type LifecycleRelease, lifecycleImage, lifecycleTarball, readLifecycleTarball } from './release.ts';
import { buildBaseImage, runBaseImage } from './stack.ts';

/**
 * One platform test environment: a private Docker engine (overlay2 where it starts, D-296), a registry
 * on 127.0.0.1 behind Basic auth (every platform passes credentials), and the images every flow shares:
 * two run images (`run:a`, `run:b` for rebase), the builder (the packaged lifecycle and the given
 * buildpacks on the build image), and the lifecycle image from dist/release, all pushed and pulled into
 * the engine.
 */

export const REGISTRY_USER = 'platform';
export const REGISTRY_PASS = 'platform-secret';
const BASIC = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASS}`).toString('base64');

/** Options of {@link startWorld}. */
export interface WorldOptions {
  /** Buildpack/extension directories laid out as `<escaped id>/<version>/`. */
  readonly modulesDir: string;
  readonly order: readonly OrderGroup[];
  readonly orderExtensions?: readonly OrderGroup[];
  /** Also publish the lifecycle image (pack's untrusted flow, the rebaser); default true. */
  readonly lifecycleImage?: boolean;
  /** Where the release artifacts are; default dist/release. */
  readonly releaseDir?: string;
  /** Also make kpack's builder (needs the lifecycle image: its last layer is the lifecycle). */
  readonly kpackBuilder?: boolean;
  /** Changes the build image before the builder is made on it (e.g. layers an extension test needs). */
  readonly customizeBuildImage?: (base: Image) => Promise<Image>;
}

/** A running environment (see {@link startWorld}). */
export interface World {
  readonly dockerd: Dockerd;
  readonly registry: RegistryHandle;
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly release: LifecycleRelease;
  readonly modules: readonly ModuleDir[];
  readonly runA: Published;
  readonly runB: Published;
  readonly builder: Published;
  readonly lifecycle?: Published;
  /** The builder as kpack assembles it (with `kpackBuilder`). */
  readonly kpackBuilder?: Published;
  /** `CNB_REGISTRY_AUTH` for the registry (what pack passes). */
  readonly registryAuth: string;
  /** A scratch directory removed by {@link World.stop}. */
  readonly scratch: string;
  /** Writes `<dir>/.docker/config.json` with the registry's credentials (kpack's and Tekton's HOME). */
  dockerConfig(dir: string): Promise<string>;
  /** Pushes an image to this registry (`repo:tag`) and pulls it into the engine. */
  publish(repoTag: string, image: Image, pull?: boolean): Promise<Published>;
  stop(): Promise<void>;
}

/** Starts the engine and registry, makes and publishes the images. Never skips: any failure throws. */
export async function startWorld(o: WorldOptions): Promise<World> {
  const scratch = await mkdtemp(join(tmpdir(), 'platform-'));
  const [dockerd, registry] = await Promise.all([
    // every flow runs dozens of containers of 200 MB images: startDockerd's overlay2 (D-296)
    startDockerd(),
    startRegistry({ auth: { user: REGISTRY_USER, pass: REGISTRY_PASS } }),
  ]);
  const host = registry.host;
  const registryAuth = JSON.stringify({ [host]: `Basic ${BASIC}` });
  const env = { CNB_REGISTRY_AUTH: registryAuth };
  const stop = async () => {
    await Promise.allSettled([dockerd.stop(), registry.stop()]);
    await rm(scratch, { recursive: true, force: true });
    await removeBlobs();
  };
  try {
    await dockerd.docker(['login', '--username', REGISTRY_USER, '--password-stdin', host], {
      input: Buffer.from(REGISTRY_PASS),
    });
    const publish = (repoTag: string, image: Image, pull = true): Promise<Published> =>
      publishImage(host, repoTag, image, pull ? { env, dockerd } : { env });
    const release = await readLifecycleTarball(lifecycleTarball(o.releaseDir));
    const modules = await readModules(o.modulesDir);
    const [runA, runB] = await Promise.all([
      runBaseImage('a').then((i) => publish('run:a', i)),
      runBaseImage('b').then((i) => publish('run:b', i)),
    ]);
    const builder = await publish(
      'builder:latest',
      await builderImage({
        base: await (o.customizeBuildImage ?? (async (i: Image) => i))(await buildBaseImage()),
        lifecycle: release,
        modules,
        order: o.order,
        ...(o.orderExtensions ? { orderExtensions: o.orderExtensions } : {}),
        runImages: [runA.name],
      }),
    );
    const lifecycle =
      o.lifecycleImage === false
        ? undefined
        : await publish(
            `lifecycle:${release.descriptor.version.replaceAll('+', '-')}`,
            await lifecycleImage(o.releaseDir ? join(o.releaseDir, 'lifecycle-image') : undefined),
          );
    const kpackBuilder =
      o.kpackBuilder && lifecycle
        ? await publish(
            'kpack-builder:latest',
            await kpackBuilderImage({
              base: await (o.customizeBuildImage ?? (async (i: Image) => i))(await buildBaseImage()),
              lifecycleImage: lifecycle.image,
              descriptor: release.descriptor,
              modules,
              order: o.order,
              runImage: runA.name,
            }),
          )
        : undefined;
    return {
      dockerd,
      ...(kpackBuilder ? { kpackBuilder } : {}),
      registry,
      host,
      release,
      modules,
      runA,
      runB,
      builder,
      ...(lifecycle ? { lifecycle } : {}),
      registryAuth,
      scratch,
      async dockerConfig(dir) {
        await mkdir(join(dir, '.docker'), { recursive: true });
        const path = join(dir, '.docker', 'config.json');
        await writeFile(path, JSON.stringify({ auths: { [host]: { auth: BASIC } } }));
        return path;
      },
      publish,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
