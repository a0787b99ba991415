import {
  BUILD_METADATA_LABEL,
  type BuildMetadata,
  LIFECYCLE_METADATA_LABEL,
  type LifecycleMetadata,
  lifecycleMetadataLabel,
  PROJECT_METADATA_LABEL,
  type ProjectMetadata,
  projectMetadataLabel,
  type RunFile,
} from '../files/index.ts';
import { type ConfigChanges, formatCreated, type ImageConfig, NORMALIZED_CREATED } from '../image/index.ts';
import {
  type ApiVersion,
  apiString,
  LifecycleError,
  type Logger,
  platformFeatures,
} from '../platform/index.ts';

/**
 * The app image config (platform.md "exporter" Outputs; docs/reference-behaviour.md §6 "Config, labels and
 * env"): env, working dir, entrypoint, labels and the creation time. Pure functions.
 */

/** `SOURCE_DATE_EPOCH` as the image creation time, else the constant (platform.md "Build Reproducibility"). */
export function createdTime(sourceDateEpoch: string | undefined, log: Logger): string {
  if (sourceDateEpoch === undefined || sourceDateEpoch === '') return NORMALIZED_CREATED;
  if (!/^\d+$/.test(sourceDateEpoch.trim())) {
    log.warn(`Ignoring invalid SOURCE_DATE_EPOCH '${sourceDateEpoch}': expected whole seconds since 1970`);
    return NORMALIZED_CREATED;
  }
  return formatCreated(new Date(Number(sourceDateEpoch.trim()) * 1000));
}

/**
 * The ENTRYPOINT (platform.md "exporter"): `-process-type` when it names a process (else an error, exit
 * 62), else the buildpack default process type, else the launcher itself.
 */
export function entrypoint(meta: BuildMetadata, processType: string | undefined, log: Logger): string[] {
  const types = new Set(meta.processes.map((p) => p.type));
  if (processType !== undefined && processType !== '') {
    if (!types.has(processType))
      throw new LifecycleError(
        'ERR_PROCESS_TYPE',
        'export',
        `tried to set ${processType} to default but it doesn't exist; the processes are: ${[...types].join(', ') || '(none)'}`,
      );
    log.info(`Setting default process type '${processType}'`);
    return [`/cnb/process/${processType}`];
  }
  const def = meta.buildpackDefaultProcessType;
  if (def !== undefined && def !== '' && types.has(def)) {
    log.info(`Setting default process type '${def}'`);
    return [`/cnb/process/${def}`];
  }
  log.info('no default process type');
  return ['/cnb/lifecycle/launcher'];
}

/** The run image's `PATH` (from its config env), or undefined. */
function basePath(config: ImageConfig): string | undefined {
  const e = (config.config?.Env ?? []).find((x) => x.startsWith('PATH='));
  return e?.slice('PATH='.length);
}

/**
 * Env entries (platform.md "exporter"; docs/decisions.md D-80): `CNB_LAYERS_DIR`, `CNB_APP_DIR`,
 * `CNB_PLATFORM_API` and `PATH=/cnb/process:/cnb/lifecycle:<run image PATH>`, as the reference writes
 * it, so `docker run --entrypoint launcher <image> -- <cmd>` finds the launcher; the launcher removes both
 * directories from PATH before starting a process. With no run image PATH there is no trailing `:`.
 */
export function imageEnv(
  base: ImageConfig,
  layers: string,
  app: string,
  platformApi: string,
): Record<string, string> {
  const path = basePath(base);
  const ours = '/cnb/process:/cnb/lifecycle';
  return {
    CNB_LAYERS_DIR: layers,
    CNB_APP_DIR: app,
    CNB_PLATFORM_API: platformApi,
    PATH: path === undefined || path === '' ? ours : `${ours}:${path}`,
  };
}

/**
 * The JSON of `io.buildpacks.build.metadata` (platform.md "Labels"). Before Platform API 0.10 a process
 * `command` is one string and its other entries lead `args` (platform-0.9.md "Labels", as the reference);
 * before 0.9 the legacy launch `bom` is listed, `null` when empty (platform-0.8.md "Labels", D-311).
 */
export function buildMetadataLabel(meta: BuildMetadata, launcher: LauncherInfo, api: ApiVersion): string {
  const mod = (m: { id: string; version: string; homepage?: string }) => ({
    id: m.id,
    version: m.version,
    ...(m.homepage ? { homepage: m.homepage } : {}),
  });
  const commandArray = platformFeatures.processCommandArray(api);
  return JSON.stringify({
    ...(platformFeatures.bomAsSbomFile(api)
      ? {}
      : { bom: meta.bom && meta.bom.length > 0 ? meta.bom : null }),
    processes: meta.processes.map((p) => ({
      type: p.type,
      command: commandArray ? [...p.command] : (p.command[0] ?? ''),
      args: commandArray ? [...p.args] : [...p.command.slice(1), ...p.args],
      direct: p.direct,
      buildpackID: p.buildpackId,
      ...(p.workingDir ? { 'working-dir': p.workingDir } : {}),
      ...(p.execEnv && p.execEnv.length > 0 ? { 'exec-env': [...p.execEnv] } : {}),
    })),
    buildpacks: meta.buildpacks.map(mod),
    ...(meta.extensions.length > 0 ? { extensions: meta.extensions.map(mod) } : {}),
    launcher: {
      version: launcher.version,
      source: { git: { repository: launcher.repository, commit: launcher.commit } },
    },
    ...(meta.buildpackDefaultProcessType
      ? { 'buildpack-default-process-type': meta.buildpackDefaultProcessType }
      : {}),
  });
}

/** What the image says about its launcher (platform.md `io.buildpacks.build.metadata` `launcher`). */
export interface LauncherInfo {
  readonly version: string;
  readonly repository: string;
  readonly commit: string;
}

/**
 * `runImage.image` and `mirrors` (docs/reference-behaviour.md §6; platform.md "Run Image Resolution"): the
 * run.toml entry naming analyzed `run-image.image` as its image or a mirror, else the first entry.
 */
export function runImageForLabel(
  run: RunFile | undefined,
  analyzedImage: string | undefined,
): { image?: string; mirrors?: string[] } {
  const images = run?.images ?? [];
  const hit =
    (analyzedImage
      ? images.find((e) => e.image === analyzedImage || e.mirrors.includes(analyzedImage))
      : undefined) ?? images[0];
  if (hit?.image === undefined) return analyzedImage ? { image: analyzedImage } : {};
  return { image: hit.image, ...(hit.mirrors.length > 0 ? { mirrors: [...hit.mirrors] } : {}) };
}

/** Everything {@link configChanges} needs. */
export interface ConfigInputs {
  readonly base: ImageConfig;
  readonly layers: string;
  readonly app: string;
  readonly platformApi: ApiVersion;
  readonly meta: BuildMetadata;
  readonly lifecycle: LifecycleMetadata;
  readonly project: ProjectMetadata;
  readonly launcher: LauncherInfo;
  readonly entrypoint: readonly string[];
}

/** The container config changes of the app image. Buildpack labels come first, lifecycle labels win. */
export function configChanges(i: ConfigInputs, log: Logger): ConfigChanges {
  const labels: Record<string, string> = {};
  for (const l of i.meta.labels) {
    log.info(`Adding label '${l.key}'`);
    labels[l.key] = l.value;
  }
  labels[LIFECYCLE_METADATA_LABEL] = lifecycleMetadataLabel(i.lifecycle);
  labels[BUILD_METADATA_LABEL] = buildMetadataLabel(i.meta, i.launcher, i.platformApi);
  labels[PROJECT_METADATA_LABEL] = projectMetadataLabel(i.project);
  return {
    env: imageEnv(i.base, i.layers, i.app, apiString(i.platformApi)),
    labels,
    // S-3: no io.buildpacks.rebasable label on ordinary images (the run image's labels are kept).
    entrypoint: [...i.entrypoint],
    cmd: null,
    workingDir: i.app,
  };
}
