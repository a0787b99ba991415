import { readGroup } from '../files/index.ts';
import { auth, daemon, parseReference } from '../image/index.ts';
import { type ApiVersion, LifecycleError, type Logger } from '../platform/index.ts';
import { analyze } from './analyze.ts';
import { build } from './build.ts';
import { detect } from './detect.ts';
import { type ExportResult, exportImage } from './export.ts';
import type { LauncherInfo } from './export-config.ts';
import { applyEnv, type BuildUser, becomeBuildUser } from './privileges/index.ts';
import { restore } from './restore.ts';

/**
 * Inputs of the creator: the union of the five phases' inputs (platform.md `creator`). `analyzed`,
 * `group` and `plan` have no flags on the creator but their env vars still apply (docs/reference-behaviour.md §0.6).
 */
export interface CreateOptions {
  /** `<image>`; `tags` are treated as additional images for the exporter. */
  readonly image: string;
  readonly tags: readonly string[];
  readonly previousImage?: string;
  readonly runImage?: string;
  readonly app: string;
  readonly buildpacks: string;
  readonly buildConfig: string;
  readonly layers: string;
  readonly order: string;
  readonly platform: string;
  readonly analyzed: string;
  readonly group: string;
  readonly plan: string;
  readonly run: string;
  readonly launcher: string;
  readonly launcherSbom: string;
  readonly projectMetadata: string;
  readonly report: string;
  readonly processType?: string;
  readonly cacheDir?: string;
  readonly cacheImage?: string;
  readonly launchCache?: string;
  readonly daemon: boolean;
  readonly layout: boolean;
  readonly layoutDir?: string;
  readonly parallel: boolean;
  readonly skipRestore: boolean;
  readonly uid?: number;
  readonly gid?: number;
  readonly insecureRegistries: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The Docker daemon address with `-daemon` (`DOCKER_HOST`, resolved by the CLI edge); default the standard socket. */
  readonly dockerHost?: string | undefined;
  readonly platformApi: ApiVersion;
  /** What `io.buildpacks.build.metadata` says about the launcher (the CLI passes the build's own). */
  readonly launcherInfo?: LauncherInfo;
  /** `-stack` (stack.toml, before Platform API 0.12). */
  readonly stack?: string;
  /** `-system` (system.toml, Platform API 0.15+): the detector merges its buildpacks into the order. */
  readonly system?: string;
  /** SOURCE_DATE_EPOCH (read by the CLI edge). */
  readonly sourceDateEpoch?: string | undefined;
  /** CNB_EXEC_ENV (read by the CLI edge; default `production`). */
  readonly execEnv?: string | undefined;
  /** CNB_EXPERIMENTAL_MODE (read by the CLI edge). */
  readonly experimentalMode?: string | undefined;
}

const _opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined || v === '' ? {} : { [key]: v }) as { [P in K]?: V };

/**
 * Runs analyze → detect → restore → build → export in one process (platform.md `creator`;
 * docs/reference-behaviour.md §7), with a `===> PHASE` header before each. Exit codes are the phases' own.
 * Running as root with a build user, it resolves registry credentials first, hands the layers and cache
 * directories to that user and drops privileges, so buildpacks and every file written run as the user.
 */
export async function create(o: CreateOptions, log: Logger): Promise<ExportResult> {
  const keychain = auth.memoKeychain(auth.defaultKeychain(o.env));
  for (const ref of [o.image, ...o.tags, o.previousImage, o.runImage, o.cacheImage]) {
    if (ref === undefined || ref === '') continue;
    try {
      await keychain.resolve(parseReference(ref).registry);
    } catch {
      // Invalid references are reported by the analyzer with its exit code.
    }
  }
  // D-200: hand the dirs over and become the build user once, before anything is read or run; with
  // -daemon the socket is reached through the root connector (D-202). Buildpacks get the user's
  // HOME and USER (D-203).
  const user = await becomeBuildUser(
    {
      uid: o.uid,
      gid: o.gid,
      dirs: [o.layers, o.cacheDir, o.launchCache],
      env: o.env,
      ...(o.daemon ? { dockerHost: o.dockerHost || daemon.DEFAULT_DOCKER_HOST } : {}),
    },
    log,
  );
  try {
    return await phases(o, keychain, user, log);
  } finally {
    user.close();
  }
}

async function phases(
  o: CreateOptions,
  keychain: auth.Keychain,
  user: BuildUser,
  log: Logger,
): Promise<ExportResult> {
  // The creator's options carry the phases' input names, so each phase takes them as they are.
  const docker = user.dockerConnect ? { dockerConnect: user.dockerConnect } : {};
  log.phase('ANALYZING');
  await analyze({ ...o, skipLayers: o.skipRestore, keychain, manageUser: false, ...docker }, log);

  const bpEnv = { ...o, env: applyEnv(o.env, user.env) };
  log.phase('DETECTING');
  await detect(bpEnv, log);
  const group = await readGroup(o.group);
  if (group.groupExtensions.length > 0)
    throw new LifecycleError(
      'ERR_CREATOR_EXTENSIONS',
      'detect',
      'detected order contains extensions which is not supported by the creator; run the phases separately to use image extensions',
    );

  log.phase('RESTORING');
  await restore({ ...o, skipLayers: o.skipRestore, dropPrivileges: false, keychain }, log);

  log.phase('BUILDING');
  await build(bpEnv, log);

  log.phase('EXPORTING');
  return exportImage({ ...o, images: [o.image, ...o.tags], dropPrivileges: false, keychain, ...docker }, log);
}
