import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseReference, remote } from '../../../src/image/index.ts';
import type { ContainerRun, ContainerSpec, World } from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';
import { phaseStep, readReport, runSteps } from './steps.ts';

/**
 * kpack's build pod (buildpacks-community/kpack pkg/apis/build/v1alpha2/build_pod.go) on the builder
 * kpack assembles (support/platform kpack-builder.ts): after its own
 * `prepare` (build-init: source, platform env, project metadata, `.docker/config.json` in HOME, done here
 * by the test), five init containers of the builder image — analyze, detect, restore, build, export —
 * with kpack's `-flag=value` args, env and mounts, as the builder's uid/gid with all capabilities dropped
 * and no privilege escalation (`containerSecurityContext`, `podSecurityContext` with `fsGroup`). Then what
 * its `completion` does: read report.toml and the built image's labels.
 */

/** One kpack Build. */
export interface KpackBuild {
  readonly world: World;
  readonly pod: Pod;
  /** Host path of the cache volume (a PersistentVolumeClaim: it outlives the build pods). */
  readonly cacheDir: string;
  /** `spec.tags`: the first is the image, the others go to `-tag=`. */
  readonly tags: readonly string[];
  /** `spec.lastBuild.image` (a digest reference) on rebuilds. */
  readonly lastBuildImage?: string;
  readonly platformApi: string;
  /** The builder's uid/gid (BuildPodBuilderConfig). */
  readonly uid: number;
  readonly gid: number;
  /** `spec.creationTime` as seconds (SOURCE_DATE_EPOCH). */
  readonly sourceDateEpoch?: number;
}

/** What kpack's completion reads (cmd/completion, pkg/cnb/build_metadata.go). */
export interface KpackCompletion {
  readonly tags: readonly string[];
  readonly digest: string;
  readonly manifestSize: number;
  readonly stackId: string;
  readonly lifecycleVersion: string;
  readonly runImage: string;
  readonly buildpacks: readonly { id: string; version: string }[];
}

/** Runs the five init containers; resolves with their outcomes (each exited 0). */
export async function kpackBuild(b: KpackBuild): Promise<ContainerRun[]> {
  const w = b.world;
  const v = (name: string) => b.pod.volume(name);
  const cache = b.cacheDir;
  const [layers, workspace, home, platform, report] = await Promise.all([
    v('layers-dir'),
    v('workspace-dir'),
    v('home-dir'),
    v('platform-dir'),
    v('report-dir'),
  ]);
  const mounts = {
    layers: `${layers}:/layers`,
    workspace: `${workspace}:/workspace`,
    home: `${home}:/builder/home`,
    platform: `${platform}:/platform`,
    cache: `${cache}:/cache`,
    report: `${report}:/var/report`,
  };
  const platformApi = { CNB_PLATFORM_API: b.platformApi };
  const homeEnv = { HOME: '/builder/home' };
  const bindingRoot = { SERVICE_BINDING_ROOT: '/platform/bindings' };
  const [tag, ...extraTags] = b.tags;
  if (tag === undefined) throw new Error('kpack: at least one tag');
  const runImage = w.runA.ref;
  // kpack runs the builder it assembled (ClusterBuilder), by digest (BuildPodBuilderConfig.ResolvedImage)
  if (!w.kpackBuilder) throw new Error('kpack: start the world with kpackBuilder');
  const builder = w.kpackBuilder.ref;
  const step = (
    phase: string,
    args: readonly string[],
    env: Record<string, string>,
    binds: string[],
  ): ContainerSpec =>
    phaseStep(builder, phase, args, {
      user: `${b.uid}:${b.gid}`,
      groupAdd: [String(b.gid)],
      env,
      binds,
      capDrop: ['ALL'],
      securityOpt: ['no-new-privileges=true'],
    });
  const steps: [string, ContainerSpec][] = [
    [
      'analyze',
      step(
        'analyzer',
        [
          '-layers=/layers',
          '-analyzed=/layers/analyzed.toml',
          `-run-image=${runImage}`,
          ...extraTags.map((t) => `-tag=${t}`),
          ...(b.lastBuildImage ? [`-previous-image=${b.lastBuildImage}`] : []),
          tag,
        ],
        { ...homeEnv, ...platformApi, ...bindingRoot },
        [mounts.layers, mounts.workspace, mounts.home],
      ),
    ],
    [
      'detect',
      step(
        'detector',
        ['-app=/workspace', '-group=/layers/group.toml', '-plan=/layers/plan.toml'],
        platformApi,
        [mounts.layers, mounts.platform, mounts.workspace],
      ),
    ],
    [
      'restore',
      step(
        'restorer',
        [
          '-group=/layers/group.toml',
          '-layers=/layers',
          '-cache-dir=/cache',
          '-analyzed=/layers/analyzed.toml',
        ],
        { ...homeEnv, ...platformApi },
        [mounts.layers, mounts.home, mounts.cache],
      ),
    ],
    [
      'build',
      step(
        'builder',
        ['-layers=/layers', '-app=/workspace', '-group=/layers/group.toml', '-plan=/layers/plan.toml'],
        { ...platformApi, ...bindingRoot },
        [mounts.layers, mounts.platform, mounts.workspace],
      ),
    ],
    [
      'export',
      step(
        'exporter',
        [
          '-layers=/layers',
          '-app=/workspace',
          '-group=/layers/group.toml',
          '-analyzed=/layers/analyzed.toml',
          '-project-metadata=/layers/project-metadata.toml',
          '-cache-dir=/cache',
          '-report=/var/report/report.toml',
          ...b.tags,
        ],
        {
          ...homeEnv,
          ...platformApi,
          ...(b.sourceDateEpoch !== undefined ? { SOURCE_DATE_EPOCH: String(b.sourceDateEpoch) } : {}),
          CNB_RUN_IMAGE: runImage,
        },
        [mounts.layers, mounts.workspace, mounts.home, mounts.report, mounts.cache],
      ),
    ],
  ];
  return runSteps(w, 'kpack init container', steps);
}

/** kpack's `prepare` for this test: the project metadata build-init writes into the layers volume. */
export async function kpackPrepare(b: {
  pod: Pod;
  world: World;
  uid: number;
  gid: number;
  app: string;
}): Promise<void> {
  await b.pod.fill('workspace-dir', b.app, b.uid, b.gid);
  const layers = await b.pod.volume('layers-dir');
  await writeFile(
    join(layers, 'project-metadata.toml'),
    '[source]\n  type = "git"\n  [source.metadata]\n    repository = "https://example.invalid/app.git"\n    revision = "0123456789abcdef"\n',
  );
  await b.world.dockerConfig(await b.pod.volume('home-dir'));
}

/**
 * kpack's completion: decode `/var/report/report.toml` (`[image] tags, digest, manifest-size`), fetch
 * `<tags[0]>@<digest>` and read `io.buildpacks.stack.id`, `io.buildpacks.build.metadata` (buildpacks,
 * `launcher.version`) and `io.buildpacks.lifecycle.metadata` (`runImage.reference`,
 * `stack.runImage.image`, both parsed as image references as kpack does).
 */
export async function kpackCompletion(w: World, pod: Pod): Promise<KpackCompletion> {
  const reportPath = join(await pod.volume('report-dir'), 'report.toml');
  const { tags, digest, manifestSize } = await readReport(reportPath);
  if (tags.length === 0) throw new Error(`no image found in report ${reportPath}`);
  const img = await remote.image(`${tags[0]}@${digest}`, { env: { CNB_REGISTRY_AUTH: w.registryAuth } });
  const labels = img.config.config.Labels ?? {};
  const build = JSON.parse(labels['io.buildpacks.build.metadata'] ?? 'null') as {
    buildpacks: { id: string; version: string }[];
    launcher: { version: string };
  };
  const md = JSON.parse(labels['io.buildpacks.lifecycle.metadata'] ?? 'null') as {
    runImage: { reference: string };
    stack: { runImage: { image: string } };
  };
  const runRef = parseReference(md.runImage.reference);
  const base = parseReference(md.stack.runImage.image);
  return {
    tags,
    digest,
    manifestSize,
    stackId: labels['io.buildpacks.stack.id'] ?? '',
    lifecycleVersion: build.launcher.version,
    runImage: `${base.name}@${runRef.identifier}`,
    buildpacks: build.buildpacks.map((x) => ({ id: x.id, version: x.version })),
  };
}
