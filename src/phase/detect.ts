import { readFile } from 'node:fs/promises';
import { arch as nodeArch, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertNotRootOrUser,
  type DetectContext,
  type GroupMember,
  generate,
  ModuleStore,
  OrderWalk,
  ociArch,
  parseOsRelease,
  runDetect,
  withOsRelease,
} from '../buildpack/index.ts';
import { baseBuildEnv, readPlatformEnv } from '../env/index.ts';
import {
  type Analyzed,
  type Group,
  type GroupElement,
  type OsDistro,
  type Plan,
  readAnalyzed,
  readRun,
  type TargetMetadata,
  writeAnalyzed,
  writeGroup,
  writePlan,
} from '../files/index.ts';
import {
  type ApiVersion,
  LifecycleError,
  type Logger,
  type LogLevel,
  limiter,
  platformFeatures,
  timed,
} from '../platform/index.ts';
import { loadOrder } from './detect-order.ts';
import { execEnvMismatch, targetMismatch } from './detect-skips.ts';
import {
  applyEnv,
  type BuildpackUser,
  buildpackUser,
  canCreateAll,
  switchTarget,
} from './privileges/index.ts';

/** Inputs of the detector (platform.md "detector" > "Inputs"); every path absolute. */
export interface DetectOptions {
  readonly app: string;
  readonly buildpacks: string;
  readonly buildConfig: string;
  readonly extensions?: string;
  readonly generated?: string;
  readonly group: string;
  readonly layers: string;
  readonly order: string;
  readonly plan: string;
  readonly platform: string;
  readonly analyzed: string;
  readonly run?: string;
  /** `<system>` (system.toml): its buildpacks are merged into every group from Platform API 0.15. */
  readonly system?: string;
  /** The lifecycle's own process env (filtered before buildpacks see it). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platformApi: ApiVersion;
  /** CNB_EXEC_ENV (the CLI edge reads it; default `production`): buildpacks are filtered by it from 0.15. */
  readonly execEnv?: string | undefined;
  /** CNB_EXPERIMENTAL_MODE as the platform set it (the CLI edge reads it; unset fails experimental features). */
  readonly experimentalMode?: string | undefined;
  /**
   * The build user (the CLI passes CNB_USER_ID/CNB_GROUP_ID). As root, buildpacks run as this user,
   * and detection is refused without one (S-7); otherwise buildpacks run as the current user.
   */
  readonly uid?: number;
  readonly gid?: number;
  /** As root with a build user: become that user before anything runs (D-200; the CLI sets it). */
  readonly dropPrivileges?: boolean;
  /** Where per-buildpack plan files go; default the OS temp dir. */
  readonly tmpDir?: string;
  /** The build container's os-release (distro fallback); default `/etc/os-release`. */
  readonly osReleasePath?: string;
  /** Max concurrent bin/detect processes; default 8. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

/** What the detector wrote to `<group>` and `<plan>`. */
export interface DetectResult {
  readonly group: Group;
  readonly plan: Plan;
}

interface Entry {
  readonly level: LogLevel;
  readonly msg: string;
}

/** A logger that keeps resolution lines so they can be shown at their level, or all when detection fails. */
function bufferLogger(base: Logger): Logger & { entries: Entry[] } {
  const entries: Entry[] = [];
  const push = (level: LogLevel) => (msg: string) => entries.push({ level, msg });
  return {
    ...base,
    entries,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}

async function readOsRelease(path: string): Promise<OsDistro | undefined> {
  try {
    return parseOsRelease(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** What every bin/detect shares: dirs, env, and the run image target (completed from os-release). */
async function detectContext(
  opts: DetectOptions,
  user: BuildpackUser,
  analyzed: Analyzed | undefined,
  log: Logger,
): Promise<DetectContext> {
  let target: TargetMetadata = analyzed?.runImage?.target ?? { os: '', arch: '' };
  if (target.distro === undefined) {
    const path = opts.osReleasePath ?? '/etc/os-release';
    log.debug(`target distro name/version labels not found, reading ${path}`);
    target = withOsRelease(target, await readOsRelease(path));
  }
  return {
    app: opts.app,
    platform: opts.platform,
    baseEnv: baseBuildEnv(applyEnv(opts.env, user.env)),
    platformEnv: await readPlatformEnv({ platform: opts.platform, buildConfig: opts.buildConfig }),
    target,
    hostArch: ociArch(nodeArch()),
    tmpDir: opts.tmpDir ?? tmpdir(),
    execEnv: opts.execEnv ?? 'production',
    ...user.spawnAs,
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  };
}

/** Logs "No buildpack groups passed detection." and throws exit 20 (all failed) or 21 (one errored). */
function failDetection(failure: 'failed' | 'errored', log: Logger): never {
  log.error('No buildpack groups passed detection.');
  if (failure === 'failed') {
    log.error('Please check that you are running against the correct path.');
    throw new LifecycleError(
      'ERR_DETECT_FAILED',
      'detectFailed',
      'failed to detect: no buildpacks participating',
    );
  }
  throw new LifecycleError(
    'ERR_DETECT_ERRORED',
    'detectErrored',
    'failed to detect: buildpack(s) failed with err',
  );
}

function toElement(m: GroupMember): GroupElement {
  return {
    id: m.id,
    version: m.version,
    api: m.api,
    ...(m.homepage === undefined ? {} : { homepage: m.homepage }),
  };
}

/**
 * The detector (platform.md "detector"; buildpack.md "Phase #1: Detection"): finds the first group
 * of `<order>` whose buildpacks pass detection and whose build plan resolves, runs the image
 * extensions' generation when the group has any (updating `<analyzed>` and `<generated>`), writes
 * `<group>` and `<plan>` atomically, and returns them. Throws LifecycleError with exit 20 (all
 * groups failed), 21 (a buildpack errored), 12 (unsupported buildpack API), 22 (other detection
 * error), 91/92 (generation) or 1.
 */
export async function detect(opts: DetectOptions, log: Logger): Promise<DetectResult> {
  // S-7: as root, buildpacks run as the given build user; with none given, refuse (exit 1).
  assertNotRootOrUser(opts.uid, opts.gid, process.getuid?.() ?? -1, 'detect');
  // As root (CLI: dropPrivileges), hand <layers> to the build user and become it before anything runs
  // or is read (D-200):
  // the plans buildpacks write are read, and group.toml/plan.toml written, as that user.
  const user = await buildpackUser(
    { uid: opts.uid, gid: opts.gid, dirs: [opts.layers], env: opts.env, drop: await dropFor(opts, log) },
    log,
  );
  const store = new ModuleStore({
    buildpacks: opts.buildpacks,
    ...(opts.extensions ? { extensions: opts.extensions } : {}),
  });
  const order = await loadOrder(opts, store, log);
  const analyzed = await readAnalyzed(opts.analyzed);
  if (analyzed === undefined) log.warn(`No analyzed metadata found at path "${opts.analyzed}"`);
  // D-413: timed from here, as the reference's Detect (order, buildpacks and analyzed.toml read), to
  // before the outcome is reported and group.toml and plan.toml are written.
  const { outcome, ctx } = await timed(log, 'Detector', async () => {
    const ctx = await detectContext(opts, user, analyzed, log);
    const buffer = bufferLogger(log);
    const limit = limiter(opts.concurrency ?? 8);
    const walk = new OrderWalk({
      lookup: (id, version) => store.buildpack(id, version),
      lookupExtension: (id, version) => store.extension(id, version),
      detect: (mod) => limit(() => runDetect(mod, ctx, buffer)),
      targetMismatch: (mod) => targetMismatch(mod, opts.platformApi, ctx.target),
      skipped: (mod) => execEnvMismatch(mod, opts.platformApi, opts.execEnv ?? 'production'),
      log: buffer,
    });
    const outcome = await walk.walk(order.order, order.orderExtensions);
    // The resolution lines at their level; all of them, debug ones at info, when detection failed.
    for (const e of buffer.entries) log[e.level === 'debug' && !outcome.ok ? 'info' : e.level](e.msg);
    return { outcome, ctx };
  });
  if (!outcome.ok) failDetection(outcome.failure, log);

  const group: Group = {
    group: outcome.group.filter((m) => !m.extension).map(toElement),
    groupExtensions: outcome.group.filter((m) => m.extension).map(toElement),
  };
  let plan: Plan = { entries: outcome.entries };
  if (group.groupExtensions.length > 0) {
    const run = opts.run === undefined ? undefined : await readRun(opts.run);
    const extensions = await Promise.all(group.groupExtensions.map((e) => store.extension(e.id, e.version)));
    const generated = await timed(log, 'Generator', () =>
      generate(
        {
          extensions,
          plan,
          analyzed: analyzed ?? {},
          run,
          generated: opts.generated ?? join(opts.layers, 'generated'),
          layout: platformFeatures.generatedByExtension(opts.platformApi) ? 'by-extension' : 'by-kind',
          ctx,
        },
        log,
      ),
    );
    plan = generated.plan;
    await writeAnalyzed(opts.analyzed, generated.analyzed);
  }
  await writeGroup(opts.group, group);
  await writePlan(opts.plan, plan);
  const written = [opts.group, opts.plan];
  if (group.groupExtensions.length > 0)
    written.push(opts.analyzed, opts.generated ?? join(opts.layers, 'generated'));
  await user.handOver(written);
  return { group, plan };
}

/**
 * The CLI asks the detector to drop privileges (D-200); it does unless a platform put group.toml,
 * plan.toml or analyzed.toml where the build user cannot create files. Then buildpacks are spawned as
 * the user and only their plan files are read, without following links (D-201).
 */
async function dropFor(opts: DetectOptions, log: Logger): Promise<boolean> {
  if (opts.dropPrivileges !== true) return false;
  const target = switchTarget(opts.uid, opts.gid, process.getuid?.() ?? -1);
  if (target === undefined) return false;
  const ok = await canCreateAll(target, opts.layers, [opts.group, opts.plan, opts.analyzed]);
  if (!ok)
    log.debug(
      `Outputs outside ${opts.layers} are not writable by ${target.uid}:${target.gid}: keeping root, buildpacks run as the user`,
    );
  return ok;
}
