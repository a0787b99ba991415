import { readGroup } from '../files/index.ts';
import { auth, daemon, parseReference } from '../image/index.ts';
import { LifecycleError, type Logger, platformFeatures } from '../platform/index.ts';
import { type AnalyzeOptions, analyze } from './analyze.ts';
import { type BuildOptions, build } from './build.ts';
import { type DetectOptions, detect } from './detect.ts';
import { type ExportOptions, type ExportResult, exportImage } from './export.ts';
import { applyEnv, type BuildUser, becomeBuildUser } from './privileges/index.ts';
import { type RestoreOptions, restore } from './restore.ts';

/**
 * What the creator sets for its phases itself: the export's image list (from `image` and `tags`),
 * skip-layers (from `skipRestore`), and, since it becomes the build user once for all five phases,
 * privilege handling, credentials and the daemon connection.
 */
type SetByCreator = 'images' | 'skipLayers' | 'dropPrivileges' | 'manageUser' | 'keychain' | 'dockerConnect';

/** Inputs of the phases that are not the creator's (platform.md `creator` has no extensions or extender). */
type NotCreatorInputs = 'extensions' | 'generated' | 'buildImage' | 'kanikoDir' | 'extended';

/**
 * Inputs of the creator: the five phases' own options, merged (platform.md `creator`), less what the
 * creator sets itself. `analyzed`, `group` and `plan` have no flags on the creator but their env vars still
 * apply (docs/reference-behaviour.md §0.6).
 */
export type CreateOptions = Omit<
  AnalyzeOptions & DetectOptions & RestoreOptions & BuildOptions & ExportOptions,
  SetByCreator | NotCreatorInputs
> & {
  /** More names for the app image: the analyzer checks them, the exporter writes them. */
  readonly tags: readonly string[];
  /** `-skip-restore` / CNB_SKIP_RESTORE: skip-layers for the analyzer and the restorer. */
  readonly skipRestore: boolean;
};

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
  // D-385, D-413: each phase times itself as the reference's do.
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

  // -skip-restore skips the restore phase before Platform API 0.10, only its layer data from 0.10 (D-315).
  if (!o.skipRestore || platformFeatures.creatorRestoresMetadataWhenSkipping(o.platformApi)) {
    log.phase('RESTORING');
    await restore({ ...o, skipLayers: o.skipRestore, dropPrivileges: false, keychain }, log);
  }

  log.phase('BUILDING');
  await build(bpEnv, log);

  log.phase('EXPORTING');
  return exportImage({ ...o, images: [o.image, ...o.tags], dropPrivileges: false, keychain, ...docker }, log);
}
