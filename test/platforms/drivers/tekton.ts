import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRun, ContainerSpec, World } from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';
import { phaseStep, readReport, runSteps } from './steps.ts';
import { getLabelsAndEnv, type PhasesParams } from './tekton-labels.ts';

/**
 * Tekton catalog tasks (tektoncd/catalog): `buildpacks-phases` 0.3 — one step container per phase of the
 * builder image, the step args as written there with the parameters substituted (so `-tag=`,
 * `-cache-image=`, `-run-image=`, `-insecure-registry=`, and the restore script's `-layers=` arrive empty)
 * — with its `extender` step (as root, SYS_ADMIN and SETFCAP) in place of `build` when the builder has
 * extensions — and `buildpacks` 0.6, the creator step as 1000:1000. The steps that run other images
 * (get-labels-and-env, prepare, results) are done by the test the way their scripts do them. Every step
 * gets the workspaces and what Tekton mounts into every step (`/tekton/home`, `/tekton/scripts`); the
 * phases task's step template sets `HOME=/tekton/home`, where the registry credentials are (Tekton's
 * credential initialisation), the creator task passes them through `DOCKER_CONFIG`.
 */

/**
 * The restore step's script, written here after the task's (the task's own text is not copied): the
 * build image defaults to the builder, every other value is a step env var, unset ones (`CNB_LAYERS_DIR`
 * is no env var of the step) expand to nothing and leave the flag empty.
 */
export const RESTORE_SCRIPT = `#!/usr/bin/env bash
export BUILD_IMAGE="\${CNB_BUILD_IMAGE:-$CNB_BUILDER_IMAGE}"
args=(
  "-log-level=$CNB_LOG_LEVEL" "-build-image=$BUILD_IMAGE" -group=/layers/group.toml
  "-layers=$CNB_LAYERS_DIR" -cache-dir=/workspace/cache "-cache-image=$CNB_CACHE_IMAGE"
  "-uid=$UID" "-gid=$GID" "-insecure-registry=$CNB_INSECURE_REGISTRIES" "-skip-layers=$CNB_SKIP_LAYERS"
)
/cnb/lifecycle/restorer "\${args[@]}"
`;

/** A TaskRun's pod: its volumes (host paths) and what every step of the task gets. */
interface TaskPod {
  readonly image: string;
  /** The task's `stepTemplate` env. */
  readonly template: Readonly<Record<string, string>>;
  /** Workspaces and Tekton's implicit mounts, in every step. */
  readonly binds: readonly string[];
  readonly vol: (name: string) => Promise<string>;
}

/** A step of the task running one lifecycle phase with its own env and mounts. */
function taskStep(
  t: TaskPod,
  phase: string,
  args: readonly string[],
  o: {
    env?: Record<string, string>;
    binds?: readonly string[];
    user?: string;
    capAdd?: readonly string[];
  } = {},
): ContainerSpec {
  return phaseStep(t.image, phase, args, {
    env: { ...t.template, ...o.env },
    binds: [...t.binds, ...(o.binds ?? [])],
    ...(o.user ? { user: o.user } : {}),
    ...(o.capAdd ? { capAdd: o.capAdd } : {}),
  });
}

/**
 * The task pod's volumes: the `source` and `cache` workspaces (the cache in `cachePod`, kept across
 * runs), Tekton's `/tekton/home` and `/tekton/scripts`, and what the prepare step does as root: the
 * cache workspace, home and `/layers` owned by the builder user; with `homeCredentials` the registry
 * credentials in `/tekton/home/.docker/config.json` (Tekton's credential initialisation).
 */
async function taskPod(
  w: World,
  pod: Pod,
  cachePod: Pod,
  o: { uid: number; gid: number; template: Record<string, string>; homeCredentials: boolean },
): Promise<TaskPod & { layers: string; home: string }> {
  const [source, cache, home, scripts, layers] = await Promise.all([
    pod.volume('source'),
    cachePod.volume('cache'),
    pod.volume('tekton-home'),
    pod.volume('scripts'),
    pod.volume('layers-dir'),
  ]);
  const owned = [cache, home, layers];
  if (o.homeCredentials) {
    await w.dockerConfig(home);
    owned.push(join(home, '.docker'), join(home, '.docker', 'config.json'));
  }
  for (const p of owned) await chown(p, o.uid, o.gid);
  return {
    image: w.builder.name,
    template: o.template,
    binds: [
      `${source}:/workspace/source`,
      `${cache}:/workspace/cache`,
      `${home}:/tekton/home`,
      `${scripts}:/tekton/scripts`,
    ],
    vol: (name) => pod.volume(name),
    layers,
    home,
  };
}

/**
 * One TaskRun of buildpacks-phases 0.3 with the source already in `pod`'s `source` volume (owned by the
 * builder user) and the cache workspace in `cachePod` (kept across runs). Resolves with the steps'
 * outcomes and the APP_IMAGE_DIGEST result (the results step decodes report.toml with tomllib).
 */
export async function tektonPhases(
  w: World,
  pod: Pod,
  cachePod: Pod,
  params: PhasesParams,
): Promise<{ runs: ContainerRun[]; digest: string }> {
  const labels = await getLabelsAndEnv(w, params);
  const t = await taskPod(w, pod, cachePod, {
    uid: Number(labels.uid),
    gid: Number(labels.gid),
    template: { CNB_EXPERIMENTAL_MODE: 'silent', HOME: '/tekton/home' },
    homeCredentials: true,
  });
  const platform = await t.vol('platform-dir');
  await mkdir(join(platform, 'env'), { recursive: true });
  await writeFile(join(await t.vol('scripts'), 'restore'), RESTORE_SCRIPT, { mode: 0o755 });
  const api = { CNB_PLATFORM_API: labels.platformApi };
  const logLevel = `-log-level=info`;
  const app = '-app=/workspace/source/'; // $(workspaces.source.path)/$(params.SOURCE_SUBPATH), no subpath
  const layersDir = '-layers=/layers'; // $(params.CNB_LAYERS_DIR)
  const platformDir = '-platform=/platform';
  const ids = [`-uid=${labels.uid}`, `-gid=${labels.gid}`];
  const insecure = '-insecure-registry=';
  const mLayers = `${t.layers}:/layers`;
  const mPlatform = `${platform}:/platform`;
  const group = '-group=/layers/group.toml';
  const plan = '-plan=/layers/plan.toml';
  const steps: [string, ContainerSpec][] = [
    [
      'analyze',
      taskStep(
        t,
        'analyzer',
        [
          logLevel,
          layersDir,
          `-run-image=${params.CNB_RUN_IMAGE ?? ''}`,
          `-cache-image=${params.CNB_CACHE_IMAGE ?? ''}`,
          ...ids,
          insecure,
          `-tag=${params.TAGS ?? ''}`,
          '-skip-layers=false',
          params.APP_IMAGE,
        ],
        { env: api, binds: [mLayers] },
      ),
    ],
    [
      'detect',
      taskStep(t, 'detector', [logLevel, app, group, plan, layersDir, platformDir], {
        env: api,
        binds: [mLayers, mPlatform],
      }),
    ],
    [
      'restore',
      {
        image: t.image,
        entrypoint: '/tekton/scripts/restore',
        cmd: [],
        env: {
          ...t.template,
          UID: labels.uid,
          GID: labels.gid,
          CNB_LOG_LEVEL: 'info',
          CNB_BUILD_IMAGE: params.CNB_BUILD_IMAGE ?? '',
          CNB_BUILDER_IMAGE: params.CNB_BUILDER_IMAGE,
          CNB_CACHE_IMAGE: params.CNB_CACHE_IMAGE ?? '',
          CNB_INSECURE_REGISTRIES: '',
          CNB_SKIP_LAYERS: 'false',
          ...api,
        },
        binds: [...t.binds, mLayers, `${await t.vol('kaniko-dir')}:/kaniko`],
      },
    ],
    // the task's `when` clauses: `extender` (build image extension, then the build) in place of
    // `build` when get-labels-and-env found extensions (D-362)
    labels.extensions === 'empty'
      ? [
          'build',
          taskStep(t, 'builder', [logLevel, app, layersDir, group, plan, platformDir], {
            env: api,
            binds: [mLayers, mPlatform],
          }),
        ]
      : [
          'extender',
          taskStep(t, 'extender', [logLevel, app, '-generated=/layers/generated', ...ids, platformDir], {
            env: api,
            user: '0:0',
            capAdd: ['SYS_ADMIN', 'SETFCAP'],
            binds: [mLayers, `${await t.vol('kaniko-dir')}:/kaniko`, mPlatform],
          }),
        ],
    [
      'export',
      taskStep(
        t,
        'exporter',
        [
          logLevel,
          app,
          layersDir,
          group,
          '-cache-dir=/workspace/cache',
          `-cache-image=${params.CNB_CACHE_IMAGE ?? ''}`,
          '-report=/layers/report.toml',
          `-process-type=${params.CNB_PROCESS_TYPE ?? 'web'}`,
          ...ids,
          insecure,
          params.APP_IMAGE,
        ],
        { env: api, binds: [mLayers] },
      ),
    ],
  ];
  const runs = await runSteps(w, 'buildpacks-phases step', steps);
  return { runs, digest: (await readReport(join(t.layers, 'report.toml'))).digest };
}

/**
 * The creator task's results step: the second `"`-separated field of every report.toml line that
 * mentions `digest` (a line without `"` whole), joined without newlines (`grep | cut -d'"' -f2 | tr -d
 * '\n'`).
 */
export function grepDigest(report: string): string {
  return report
    .split('\n')
    .filter((l) => l.includes('digest'))
    .map((l) => (l.includes('"') ? (l.split('"')[1] ?? '') : l))
    .join('');
}

/**
 * One TaskRun of `buildpacks` 0.6: the create step as 1000:1000 at the task's `CNB_PLATFORM_API`
 * (its step template: 0.9) with `DOCKER_CONFIG` the dockerconfig workspace; no HOME is set (the
 * image's user's). Resolves with the step and the APP_IMAGE_DIGEST result.
 */
export async function tektonCreator(
  w: World,
  pod: Pod,
  cachePod: Pod,
  p: { APP_IMAGE: string; platformApi: string; RUN_IMAGE?: string; CACHE_IMAGE?: string },
): Promise<{ runs: ContainerRun[]; digest: string }> {
  const t = await taskPod(w, pod, cachePod, {
    uid: 1000,
    gid: 1000,
    template: { CNB_PLATFORM_API: p.platformApi },
    homeCredentials: false,
  });
  const dockerconfig = await pod.volume('dockerconfig');
  await w.dockerConfig(dockerconfig);
  const platform = await t.vol('empty-dir');
  const create = taskStep(
    t,
    'creator',
    [
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
    {
      user: '1000:1000',
      env: { DOCKER_CONFIG: '/workspace/dockerconfig' },
      binds: [
        `${t.layers}:/layers`,
        `${platform}:/platform`,
        `${join(dockerconfig, '.docker')}:/workspace/dockerconfig`,
      ],
    },
  );
  const runs = await runSteps(w, 'buildpacks step', [['create', create]]);
  return { runs, digest: grepDigest(await readFile(join(t.layers, 'report.toml'), 'utf8')) };
}
