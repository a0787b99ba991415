import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  applyDockerfile,
  checkDockerfile,
  dockerfilesFor,
  KANIKO_DIR,
  makeWorkDir,
  type RunExecutor,
  readBaseImage,
  readDockerignore,
  spawnRun,
} from '../extend/index.ts';
import { readAnalyzed, readGroup } from '../files/index.ts';
import type { ContainerConfig, Image } from '../image/index.ts';
import {
  type ApiVersion,
  LifecycleError,
  type Logger,
  parseGoBool,
  platformFeatures,
  timed,
} from '../platform/index.ts';
import { extendedRunImage, type RunSnapshotter, runSnapshotter, writeExtended } from './extend-run.ts';

/** The label saying the image's extension layers may be rebased (platform.md "extender"). */
export const REBASABLE_LABEL = 'io.buildpacks.rebasable';

/** Inputs of the extender (platform.md "extender" Inputs); every path absolute. */
export interface ExtendOptions {
  readonly kind: string;
  readonly analyzed: string;
  readonly app: string;
  readonly generated: string;
  readonly group: string;
  readonly layers: string;
  readonly platform: string;
  /** `<extended>`: where `-kind run` writes the extended run image. */
  readonly extended: string;
  /** Default `/kaniko` (platform.md: "must be `/kaniko`"). */
  readonly kanikoDir?: string;
  /** The root filesystem to extend; default `/` (the container the extender runs in). */
  readonly root?: string;
  /** Runs RUN instructions; default {@link spawnRun} on the live root. */
  readonly runExecutor?: RunExecutor;
  /** The mount table whose mount points snapshots leave out; default `/proc/self/mountinfo`. */
  readonly mountinfo?: string;
  /** Where `<generated>` holds the Dockerfiles depends on it (D-314); default the by-kind layout (0.12). */
  readonly platformApi?: ApiVersion;
}

/** What the extender made. */
export interface ExtendResult {
  /** The container config after the last Dockerfile (its Env is the build's environment). */
  readonly config: ContainerConfig;
  /** `-kind run`: the extended run image, written to `<extended>/run/<digest>`. */
  readonly image?: Image;
  readonly dockerfiles: number;
}

/** `user[:group]` of a config `User`, as the reference splits it for the `user_id`/`group_id` args. */
export function userOf(config: ContainerConfig): { user: string; group: string } {
  const [user = '', group = ''] = (config.User ?? '').split(':');
  return { user, group };
}

const isRootUser = (u: string) => u === '0' || u === 'root';

/** Reference rule: a label value is true only when it parses as a Go bool true. */
export function isRebasable(config: ContainerConfig): boolean {
  return parseGoBool(config.Labels?.[REBASABLE_LABEL] ?? '') === true;
}

function extendError(message: string): LifecycleError {
  return new LifecycleError('ERR_EXTEND', 'extend', message);
}

/**
 * The extender (platform.md "extender"; image-extension.md "Phase: Extension"): applies each
 * extension's Dockerfile of `kind` in group order to the image being extended (the build image or
 * run image of `<analyzed>`, as the restorer saved it under `<kaniko>/cache/base`), which is the root
 * filesystem this process runs on. After each Dockerfile `io.buildpacks.rebasable` is true only while
 * every Dockerfile so far left it true; a final root user fails a run image. `-kind run` snapshots the
 * changes into layers and writes `<extended>/run/<digest>`. Exit 102 for extension errors.
 */
export async function extend(o: ExtendOptions, log: Logger): Promise<ExtendResult> {
  if (o.kind !== 'build' && o.kind !== 'run')
    throw new LifecycleError('ERR_EXTEND_KIND', 'invalidArgs', `-kind ${o.kind}: must be build or run`);
  const kind = o.kind;
  const kanikoDir = o.kanikoDir ?? KANIKO_DIR;
  const root = o.root ?? '/';
  const analyzed = await readAnalyzed(o.analyzed);
  const ref = kind === 'build' ? analyzed?.buildImage?.reference : analyzed?.runImage?.reference;
  if (ref === undefined || ref === '') {
    throw extendError(
      kind === 'build'
        ? `${o.analyzed} has no build-image: run the restorer with -build-image to extend the build image`
        : `${o.analyzed} has no run-image to extend`,
    );
  }
  const base = await readBaseImage(kanikoDir, ref, `${kind} image`);
  const group = await readGroup(o.group);
  const layout =
    o.platformApi && platformFeatures.generatedByExtension(o.platformApi) ? 'by-extension' : 'by-kind';
  const work = await makeWorkDir(kanikoDir);
  try {
    // D-413: timed from here, as the reference's extend (base image and group read), to before the
    // extended run image is written.
    const applied = await timed(log, 'Extender', async () => {
      const dockerfiles = await dockerfilesFor(kind, group.groupExtensions, o.generated, o.app, layout);
      log.debug(`Extending ${kind} image ${ref} with ${dockerfiles.length} Dockerfile(s)`);
      let config: ContainerConfig = base.config.config ?? {};
      const orig = userOf(config).user;
      let rebasable = true; // the original base image need not be rebasable (as the reference)
      let snap: RunSnapshotter | undefined;
      if (kind === 'run') {
        snap = await runSnapshotter({
          root,
          workDir: work.dir,
          ignore: [o.app, o.layers, o.platform, kanikoDir, '/cnb/lifecycle'],
          ...(o.mountinfo ? { mountinfo: o.mountinfo } : {}),
        });
      }
      let current: Image = base;
      for (const d of dockerfiles) {
        const { user, group: grp } = userOf(config);
        const buildArgs = new Map<string, string>([
          ['build_id', randomUUID()],
          ['user_id', user],
          ['group_id', grp],
          ...d.args.map((a): [string, string] => [a.name, a.value]),
          ['base_image', `base@${current.digest}`],
        ]);
        log.debug(`Applying ${d.path} for extension ${d.extensionId}`);
        const ignore = await readDockerignore(d.path, d.context);
        if (ignore) log.debug(`Using ${ignore.file} for the build context ${d.context}`);
        // Each Dockerfile must set the label itself (platform.md "extender": "set ... or left the
        // label unset"); the reference lets a later Dockerfile inherit an earlier one's (D-355).
        const { [REBASABLE_LABEL]: _inherited, ...labels } = config.Labels ?? {};
        config = await applyDockerfile(
          {
            dockerfile: checkDockerfile(d.text, d.path),
            config: { ...config, Labels: labels },
            buildArgs,
            context: d.context,
            ...(ignore ? { ignore } : {}),
            root,
            run: o.runExecutor ?? spawnRun(log),
            ...(snap ? { onStep: (s) => (snap as RunSnapshotter).step(s, d.extensionId, log) } : {}),
          },
          log,
        );
        rebasable = rebasable && isRebasable(config);
        config = { ...config, Labels: { ...(config.Labels ?? {}), [REBASABLE_LABEL]: String(rebasable) } };
        if (snap) current = extendedRunImage(base, config, snap.layers);
        const now = userOf(config).user;
        if (isRootUser(now))
          log.warn(
            `Extension from ${d.path} changed the user ID from ${user} to ${now}; this must not be the final user ID (a following extension must reset the user).`,
          );
      }
      const final = userOf(config).user;
      if (kind === 'run' && isRootUser(final))
        throw extendError(
          'the final user ID is 0 (root); please add another extension that resets the user to non-root',
        );
      if (final !== orig)
        log.warn(
          `The original user ID was ${orig} but the final extension left the user ID set to ${final}.`,
        );
      return { config, layers: snap?.layers ?? [], dockerfiles: dockerfiles.length };
    });
    if (kind === 'build') return { config: applied.config, dockerfiles: applied.dockerfiles };
    const image = extendedRunImage(base, applied.config, applied.layers);
    await writeExtended(join(o.extended, 'run'), image, log);
    return { config: applied.config, image, dockerfiles: applied.dockerfiles };
  } finally {
    await work.remove();
  }
}
