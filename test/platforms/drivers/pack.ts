import { randomBytes } from 'node:crypto';
import {
  type ContainerRun,
  type ContainerSpec,
  createVolume,
  removeVolumes,
  type World,
} from '../../support/platform/index.ts';
import { appTar, fileTar } from './app.ts';
import { runSteps } from './steps.ts';

/**
 * pack's lifecycle execution (buildpacks/pack internal/build/lifecycle_execution.go and
 * phase_config_provider.go), container by container: fresh `pack-layers-*` and `pack-app-*` volumes per
 * build, a cache volume and a launch-cache volume kept across builds, `/cnb/lifecycle/<phase>` as the
 * command with the entrypoint cleared, `CNB_PLATFORM_API`, the flags in pack's order, the app copied into
 * `/workspace` owned by the builder's user before the container starts, `no-new-privileges` (or
 * `label=disable` with the Docker socket). Differences: containers use the host network (the test engine
 * has no bridge), where pack makes an ephemeral bridge network.
 */

/** One `pack build`. */
export interface PackBuild {
  readonly world: World;
  /** The app image name (a registry tag with `publish`, else a daemon name). */
  readonly image: string;
  readonly app: string;
  readonly platformApi: string;
  /** `--publish` (registry) or the daemon (`-daemon`, socket, `-launch-cache`). */
  readonly publish: boolean;
  /** `--trust-builder`: one creator container; else five containers, three in the lifecycle image. */
  readonly trusted: boolean;
  /** Volume names kept between builds of the same image (pack derives them from the image name). */
  readonly cacheVolume: string;
  readonly launchCacheVolume: string;
}

/** `a >= b` for `major.minor` versions. */
export function atLeast(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am > bm || (am === bm && an >= bn);
}

function builderUser(w: World): { uid: number; gid: number } {
  const env = w.builder.image.config.config.Env ?? [];
  const get = (k: string) => Number(env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1));
  return { uid: get('CNB_USER_ID'), gid: get('CNB_GROUP_ID') };
}

function runToml(w: World): string {
  return `[[images]]\n  image = ${JSON.stringify(w.runA.name)}\n  mirrors = []\n`;
}

/** Runs the build; resolves with every container's outcome, in order (each must have exited 0). */
export async function packBuild(b: PackBuild): Promise<ContainerRun[]> {
  const w = b.world;
  const d = w.dockerd;
  const id = randomBytes(5).toString('hex');
  const layersVolume = await createVolume(d, `pack-layers-${id}`);
  const appVolume = await createVolume(d, `pack-app-${id}`);
  await createVolume(d, b.cacheVolume);
  await createVolume(d, b.launchCacheVolume);
  const { uid, gid } = builderUser(w);
  const app = await appTar(b.app, '/workspace', uid, gid);
  const projectMetadata = await fileTar('/layers/project-metadata.toml', '');
  const base = (phase: string, cmd: readonly string[], o: Partial<ContainerSpec> = {}): ContainerSpec => ({
    image: w.builder.name,
    entrypoint: '',
    ...o,
    cmd: [`/cnb/lifecycle/${phase}`, ...cmd],
    env: {
      ...o.env,
      CNB_PLATFORM_API: b.platformApi,
      // from Platform 0.15 pack passes the execution environment (`--exec-env`, default production)
      ...(atLeast(b.platformApi, '0.15') ? { CNB_EXEC_ENV: 'production' } : {}),
    },
    binds: [...(o.binds ?? []), `${layersVolume}:/layers`, `${appVolume}:/workspace`],
    securityOpt: o.securityOpt ?? ['no-new-privileges=true'],
  });
  // WithDaemonAccess: root, the socket, label=disable (replacing no-new-privileges)
  const daemon: Partial<ContainerSpec> = {
    user: 'root',
    securityOpt: ['label=disable'],
  };
  const socket = `${d.socket}:/var/run/docker.sock`;
  const registry = { CNB_REGISTRY_AUTH: w.registryAuth };
  const what = `pack ${b.trusted ? 'trusted' : 'untrusted'}`;
  try {
    if (b.trusted) {
      // Create(): flags, then the image; -daemon/-launch-cache are prepended last (WithFlags)
      const flags = ['-app', '/workspace', '-cache-dir', '/cache', '-run-image', w.runA.name];
      const cmd = b.publish
        ? [...flags, b.image]
        : ['-daemon', '-launch-cache', '/launch-cache', ...flags, b.image];
      const creator = base('creator', cmd, {
        copyIn: [projectMetadata, app],
        ...(b.publish
          ? { user: 'root', env: registry, binds: [`${b.cacheVolume}:/cache`] }
          : {
              ...daemon,
              binds: [`${b.cacheVolume}:/cache`, socket, `${b.launchCacheVolume}:/launch-cache`],
            }),
      });
      return await runSteps(w, what, [['creator', creator]]);
    }
    if (!w.lifecycle)
      throw new Error('the untrusted flow needs the lifecycle image (startWorld lifecycleImage)');
    const lifecycleImage = w.lifecycle.name;
    const userEnv = { CNB_USER_ID: String(uid), CNB_GROUP_ID: String(gid) };
    // Analyze(): args built by prepending to [image]: -run (0.12+), -run-image, -launch-cache (daemon)
    const analyzeArgs = [
      '-run',
      '/layers/run.toml',
      '-run-image',
      w.runA.name,
      ...(b.publish ? [] : ['-launch-cache', '/launch-cache']),
      b.image,
    ];
    const runTomlTar = await fileTar('/layers/run.toml', runToml(w));
    const analyzer = base('analyzer', b.publish ? analyzeArgs : ['-daemon', ...analyzeArgs], {
      image: lifecycleImage,
      user: 'root',
      copyIn: [runTomlTar],
      ...(b.publish
        ? { env: { ...userEnv, ...registry } }
        : { ...daemon, env: userEnv, binds: [socket, `${b.launchCacheVolume}:/launch-cache`] }),
    });
    const detector = base('detector', ['-app', '/workspace'], { copyIn: [app] });
    const restorer = base('restorer', ['-cache-dir', '/cache', ...(b.publish ? [] : ['-daemon'])], {
      image: lifecycleImage,
      user: 'root',
      env: userEnv,
      binds: [`${b.cacheVolume}:/cache`, ...(b.publish ? [] : [socket])],
      ...(b.publish ? {} : { securityOpt: ['label=disable'] }),
    });
    const builder = base('builder', ['-app', '/workspace']);
    const exportFlags = ['-app', '/workspace', '-cache-dir', '/cache', '-run', '/layers/run.toml'];
    const stackToml = await fileTar(
      '/layers/stack.toml',
      `[run-image]\n  image = ${JSON.stringify(w.runA.name)}\n`,
    );
    const exporter = base(
      'exporter',
      b.publish
        ? [...exportFlags, b.image]
        : ['-daemon', '-launch-cache', '/launch-cache', ...exportFlags, b.image],
      {
        image: lifecycleImage,
        user: 'root',
        copyIn: [stackToml, runTomlTar, projectMetadata],
        ...(b.publish
          ? { env: { ...userEnv, ...registry }, binds: [`${b.cacheVolume}:/cache`] }
          : {
              ...daemon,
              env: userEnv,
              binds: [`${b.cacheVolume}:/cache`, socket, `${b.launchCacheVolume}:/launch-cache`],
            }),
      },
    );
    return await runSteps(w, what, [
      ['analyzer', analyzer],
      ['detector', detector],
      ['restorer', restorer],
      ['builder', builder],
      ['exporter', exporter],
    ]);
  } finally {
    await removeVolumes(d, [layersVolume, appVolume]);
  }
}
