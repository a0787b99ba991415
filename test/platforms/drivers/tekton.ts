import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { remote } from '../../../src/image/index.ts';
import {
  type ContainerRun,
  type ContainerSpec,
  runContainer,
  succeeded,
  type World,
} from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';

/**
 * Tekton catalog tasks (tektoncd/catalog): `buildpacks-phases` 0.3 — one step container per phase of the
 * builder image, the step args exactly as written there with the parameters substituted (so `-tag=`,
 * `-cache-image=`, `-run-image=`, `-insecure-registry=`, and the restore script's `-layers=` arrive empty)
 * — and `buildpacks` 0.6, the creator step as 1000:1000. The steps that run other images
 * (get-labels-and-env, prepare, results) are done by the test the way their scripts do them. Every step
 * gets the workspaces and `HOME=/tekton/home` with the registry credentials (Tekton's credential
 * initialisation), as Tekton gives them.
 */

/** The task parameters that matter here, with the task's defaults. */
export interface PhasesParams {
  readonly APP_IMAGE: string;
  readonly CNB_BUILDER_IMAGE: string;
  readonly CNB_BUILD_IMAGE?: string;
  readonly CNB_CACHE_IMAGE?: string;
  readonly CNB_RUN_IMAGE?: string;
  readonly CNB_PLATFORM_API?: string;
  readonly CNB_PLATFORM_API_SUPPORTED?: string;
  readonly CNB_PROCESS_TYPE?: string;
  readonly TAGS?: string;
}

/** Results of the get-labels-and-env step. */
export interface BuilderLabels {
  readonly uid: string;
  readonly gid: string;
  readonly platformApi: string;
  readonly extensions: string;
}

/**
 * get-labels-and-env: inspects the builder in the registry (skopeo + jq there), checks the lifecycle
 * supports the task's Platform API, and reads CNB_USER_ID/CNB_GROUP_ID from the image env.
 */
export async function getLabelsAndEnv(w: World, p: PhasesParams): Promise<BuilderLabels> {
  const img = await remote.image(p.CNB_BUILDER_IMAGE, { env: { CNB_REGISTRY_AUTH: w.registryAuth } });
  const labels = img.config.config.Labels ?? {};
  const env = img.config.config.Env ?? [];
  const supportedByTask = p.CNB_PLATFORM_API_SUPPORTED ?? '0.13';
  const meta = JSON.parse(labels['io.buildpacks.builder.metadata'] ?? '{}') as {
    lifecycle?: { apis?: { platform?: { supported?: string[] } } };
  };
  // `platforms=($(jq -r '.lifecycle.apis.platform.supported'))` then `[[ "${platforms[@]}" =~ "$API" ]]`
  const platforms = JSON.stringify(meta.lifecycle?.apis?.platform?.supported ?? null, null, 2);
  const api = p.CNB_PLATFORM_API || supportedByTask;
  if (!(platforms.includes(api) && api === supportedByTask))
    throw new Error(
      `${api} is not in the list of the supported platform by lifecycle (${platforms}) or by this task`,
    );
  const ext = labels['io.buildpacks.extension.layers'];
  const get = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  return {
    uid: get('CNB_USER_ID'),
    gid: get('CNB_GROUP_ID'),
    platformApi: api,
    extensions: ext !== '{}' ? String(ext) : 'empty',
  };
}

/** The restore step's script, as in the task. */
export const RESTORE_SCRIPT = `#!/usr/bin/env bash
export BUILD_IMAGE=\${CNB_BUILD_IMAGE:-\${CNB_BUILDER_IMAGE}}
/cnb/lifecycle/restorer \\
  -log-level=\${CNB_LOG_LEVEL} \\
  -build-image=\${BUILD_IMAGE} \\
  -group=/layers/group.toml \\
  -layers=\${CNB_LAYERS_DIR} \\
  -cache-dir=/workspace/cache \\
  -cache-image=\${CNB_CACHE_IMAGE} \\
  -uid=\${UID} \\
  -gid=\${GID} \\
  -insecure-registry=\${CNB_INSECURE_REGISTRIES} \\
  -skip-layers=\${CNB_SKIP_LAYERS}
`;

interface TaskVolumes {
  readonly source: string;
  readonly cache: string;
  readonly home: string;
  readonly layers: string;
  readonly platform: string;
  readonly kaniko: string;
  readonly scripts: string;
}

async function volumes(w: World, pod: Pod, cachePod: Pod, uid: number, gid: number): Promise<TaskVolumes> {
  const vol: TaskVolumes = {
    source: await pod.volume('source'),
    cache: await cachePod.volume('cache'),
    home: await pod.volume('tekton-home-dir'),
    layers: await pod.volume('layers-dir'),
    platform: await pod.volume('platform-dir'),
    kaniko: await pod.volume('kaniko-dir'),
    scripts: await pod.volume('scripts'),
  };
  // Tekton's credential initialisation: $HOME/.docker/config.json
  await w.dockerConfig(vol.home);
  // prepare: chown the cache workspace, /tekton/home(/.docker), /layers and the source to the builder user
  for (const p of [
    vol.cache,
    vol.home,
    join(vol.home, '.docker'),
    join(vol.home, '.docker', 'config.json'),
    vol.layers,
  ])
    await chown(p, uid, gid);
  await mkdir(join(vol.platform, 'env'), { recursive: true });
  return vol;
}

function step(
  w: World,
  v: TaskVolumes,
  o: Partial<ContainerSpec> & { cmd: readonly string[] },
): ContainerSpec {
  return {
    image: w.builder.name,
    ...o,
    env: { CNB_EXPERIMENTAL_MODE: 'silent', HOME: '/tekton/home', ...o.env },
    binds: [
      `${v.source}:/workspace/source`,
      `${v.cache}:/workspace/cache`,
      `${v.home}:/tekton/home`,
      `${v.scripts}:/tekton/scripts`,
      ...(o.binds ?? []),
    ],
  };
}

async function runSteps(
  w: World,
  what: string,
  steps: readonly [string, ContainerSpec][],
): Promise<ContainerRun[]> {
  const runs: ContainerRun[] = [];
  for (const [name, spec] of steps) {
    const r = await runContainer(w.dockerd, spec);
    runs.push(r);
    succeeded(r, `${what} step ${name}`);
  }
  return runs;
}

/** The `results` step: the digest from /layers/report.toml (tomllib there). */
async function reportDigest(layers: string): Promise<string> {
  const report = parse(await readFile(join(layers, 'report.toml'), 'utf8')) as {
    image?: { digest?: string };
  };
  const digest = report.image?.digest;
  if (!digest) throw new Error('report.toml has no [image] digest');
  return digest;
}

/**
 * One TaskRun of buildpacks-phases 0.3 with the source already in `pod`'s `source` volume (owned by the
 * builder user) and the cache workspace in `cachePod` (kept across runs). Resolves with the steps'
 * outcomes and the APP_IMAGE_DIGEST result.
 */
export async function tektonPhases(
  w: World,
  pod: Pod,
  cachePod: Pod,
  params: PhasesParams,
): Promise<{ runs: ContainerRun[]; digest: string }> {
  const labels = await getLabelsAndEnv(w, params);
  const uid = Number(labels.uid);
  const gid = Number(labels.gid);
  const v = await volumes(w, pod, cachePod, uid, gid);
  await writeFile(join(v.scripts, 'restore'), RESTORE_SCRIPT, { mode: 0o755 });
  const api = { CNB_PLATFORM_API: labels.platformApi };
  const logLevel = 'info';
  const app = '/workspace/source/'; // $(workspaces.source.path)/$(params.SOURCE_SUBPATH) with an empty subpath
  const layersDir = '/layers';
  const platformDir = '/platform';
  const mLayers = `${v.layers}:/layers`;
  const mPlatform = `${v.platform}:${platformDir}`;
  const steps: [string, ContainerSpec][] = [
    [
      'analyze',
      step(w, v, {
        entrypoint: '/cnb/lifecycle/analyzer',
        env: api,
        cmd: [
          `-log-level=${logLevel}`,
          `-layers=${layersDir}`,
          `-run-image=${params.CNB_RUN_IMAGE ?? ''}`,
          `-cache-image=${params.CNB_CACHE_IMAGE ?? ''}`,
          `-uid=${labels.uid}`,
          `-gid=${labels.gid}`,
          '-insecure-registry=',
          `-tag=${params.TAGS ?? ''}`,
          '-skip-layers=false',
          params.APP_IMAGE,
        ],
        binds: [mLayers],
      }),
    ],
    [
      'detect',
      step(w, v, {
        entrypoint: '/cnb/lifecycle/detector',
        env: api,
        cmd: [
          `-log-level=${logLevel}`,
          `-app=${app}`,
          '-group=/layers/group.toml',
          '-plan=/layers/plan.toml',
          `-layers=${layersDir}`,
          `-platform=${platformDir}`,
        ],
        binds: [mLayers, mPlatform],
      }),
    ],
    [
      'restore',
      step(w, v, {
        entrypoint: '/tekton/scripts/restore',
        cmd: [],
        env: {
          UID: labels.uid,
          GID: labels.gid,
          CNB_LOG_LEVEL: logLevel,
          CNB_BUILD_IMAGE: params.CNB_BUILD_IMAGE ?? '',
          CNB_BUILDER_IMAGE: params.CNB_BUILDER_IMAGE,
          CNB_CACHE_IMAGE: params.CNB_CACHE_IMAGE ?? '',
          CNB_INSECURE_REGISTRIES: '',
          CNB_SKIP_LAYERS: 'false',
          ...api,
        },
        binds: [mLayers, `${v.kaniko}:/kaniko`],
      }),
    ],
    [
      'build',
      step(w, v, {
        entrypoint: '/cnb/lifecycle/builder',
        env: api,
        cmd: [
          `-log-level=${logLevel}`,
          `-app=${app}`,
          `-layers=${layersDir}`,
          '-group=/layers/group.toml',
          '-plan=/layers/plan.toml',
          `-platform=${platformDir}`,
        ],
        binds: [mLayers, mPlatform],
      }),
    ],
    [
      'export',
      step(w, v, {
        entrypoint: '/cnb/lifecycle/exporter',
        env: api,
        cmd: [
          `-log-level=${logLevel}`,
          `-app=${app}`,
          `-layers=${layersDir}`,
          '-group=/layers/group.toml',
          '-cache-dir=/workspace/cache',
          `-cache-image=${params.CNB_CACHE_IMAGE ?? ''}`,
          '-report=/layers/report.toml',
          `-process-type=${params.CNB_PROCESS_TYPE ?? 'web'}`,
          `-uid=${labels.uid}`,
          `-gid=${labels.gid}`,
          '-insecure-registry=',
          params.APP_IMAGE,
        ],
        binds: [mLayers],
      }),
    ],
  ];
  if (labels.extensions !== 'empty')
    throw new Error('the builder has extensions: the extender step is not driven here');
  const runs = await runSteps(w, 'buildpacks-phases', steps);
  return { runs, digest: await reportDigest(v.layers) };
}

/**
 * One TaskRun of `buildpacks` 0.6: the create step as 1000:1000 with `DOCKER_CONFIG` the dockerconfig
 * workspace and the task's `CNB_PLATFORM_API` (0.9 by default).
 */
export async function tektonCreator(
  w: World,
  pod: Pod,
  cachePod: Pod,
  p: { APP_IMAGE: string; platformApi: string; RUN_IMAGE?: string; CACHE_IMAGE?: string },
): Promise<{ runs: ContainerRun[]; digest: string }> {
  const v = await volumes(w, pod, cachePod, 1000, 1000);
  const dockerconfig = await pod.volume('dockerconfig');
  await w.dockerConfig(dockerconfig);
  const create = step(w, v, {
    entrypoint: '/cnb/lifecycle/creator',
    user: '1000:1000',
    env: { CNB_PLATFORM_API: p.platformApi, DOCKER_CONFIG: '/workspace/dockerconfig' },
    cmd: [
      '-app=/workspace/source/',
      '-cache-dir=/workspace/cache',
      `-cache-image=${p.CACHE_IMAGE ?? ''}`,
      '-uid=1000',
      '-gid=1000',
      '-layers=/layers',
      '-platform=/platform',
      '-report=/layers/report.toml',
      '-process-type=web',
      '-skip-restore=false',
      `-previous-image=${p.APP_IMAGE}`,
      `-run-image=${p.RUN_IMAGE ?? ''}`,
      p.APP_IMAGE,
    ],
    binds: [
      `${v.layers}:/layers`,
      `${v.platform}:/platform`,
      `${join(dockerconfig, '.docker')}:/workspace/dockerconfig`,
    ],
  });
  const runs = await runSteps(w, 'buildpacks', [['create', create]]);
  return { runs, digest: await reportDigest(v.layers) };
}
