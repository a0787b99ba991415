import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addProcesses,
  asBuildError,
  assertNotRootOrUser,
  copySbomFiles,
  emptyProcessSet,
  escapeId,
  listProcesses,
  ModuleStore,
  ociArch,
  type ProcessSet,
  parseOsRelease,
  runBuildpackBuild,
  targetEnv,
  withOsRelease,
} from '../buildpack/index.ts';
import { baseBuildEnv, readOperatorEnv, readUserEnv } from '../env/index.ts';
import {
  type Analyzed,
  type BomEntry,
  type BuildMetadata,
  buildpackPlanFor,
  type Group,
  type GroupElement,
  type Label,
  type Plan,
  readAnalyzed,
  readGroup,
  readPlan,
  removeMet,
  type Slice,
  toMetadataModule,
  writeBuildMetadata,
} from '../files/index.ts';
import {
  type ApiVersion,
  checkBuildpackApi,
  type Logger,
  platformFeatures,
  timed,
} from '../platform/index.ts';
import { applyEnv, type BuildpackUser, buildpackUser } from './privileges/index.ts';

/** Inputs of the builder (platform.md "builder" Inputs); every path absolute. */
export interface BuildOptions {
  readonly app: string;
  readonly buildpacks: string;
  readonly group: string;
  readonly layers: string;
  readonly plan: string;
  readonly platform: string;
  readonly analyzed: string;
  /** `<build-config>`; its `env/` is the operator env. Absent = no operator env. */
  readonly buildConfig?: string;
  /** The lifecycle's process environment (filtered before buildpacks see it). */
  readonly env: Readonly<Record<string, string>>;
  readonly platformApi: ApiVersion;
  /** CNB_EXEC_ENV (the CLI edge reads it; default `production`), given to buildpacks of API 0.12+. */
  readonly execEnv?: string | undefined;
  /** Run buildpacks as this user (S-7). */
  readonly uid?: number;
  readonly gid?: number;
  /** As root with a build user: become that user before anything runs (D-200; the CLI sets it). */
  readonly dropPrivileges?: boolean;
  /** The build container's os-release, for a run-image target without distro (default `/etc/os-release`). */
  readonly osReleasePath?: string;
}

/** What the builder wrote. */
export interface BuildResult {
  /** The content of `<layers>/config/metadata.toml`. */
  readonly metadata: BuildMetadata;
  readonly metadataPath: string;
}

/** Verifies every group buildpack's API up front (exit 12; docs/reference-behaviour.md §0.3). */
function checkGroupApis(group: readonly GroupElement[]): void {
  for (const el of group) checkBuildpackApi(el.api, `buildpack '${el.id}@${el.version}' in group.toml`);
}

async function readDistro(path: string): Promise<ReturnType<typeof parseOsRelease>> {
  try {
    return parseOsRelease(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Legacy BOM entries with the contributing buildpack attached (buildpack.md "Deprecations"). */
function withBuildpack(bom: readonly BomEntry[], el: GroupElement): object[] {
  return bom.map((b) => ({ ...b, buildpack: { id: el.id, version: el.version } }));
}

/**
 * The builder (platform.md "builder"; buildpack.md "Phase #5: Build"): runs every buildpack of
 * `<group>` in order, each with its Buildpack Plan, seeing earlier buildpacks' build layers, then
 * copies SBOM files to `<layers>/sbom/` and writes `<layers>/config/metadata.toml`.
 * Exit codes: 1 unreadable group/plan, 12 unsupported buildpack API, 51 bin/build failed,
 * 52 other build errors.
 */
export async function build(opts: BuildOptions, log: Logger): Promise<BuildResult> {
  assertNotRootOrUser(opts.uid, opts.gid, process.getuid?.() ?? -1, 'build');
  // As root (CLI: dropPrivileges), hand <layers> to the build user and become it before anything runs
  // or is read (D-200):
  // buildpacks then run as the lifecycle's own user, and everything written belongs to it.
  const user = await buildpackUser(
    { uid: opts.uid, gid: opts.gid, dirs: [opts.layers], env: opts.env, drop: opts.dropPrivileges === true },
    log,
  );
  const group = await readGroup(opts.group);
  const plan: Plan = await readPlan(opts.plan);
  checkGroupApis(group.group);
  const analyzed = await readAnalyzed(opts.analyzed);
  if (analyzed === undefined) log.warn(`No analyzed metadata found at path "${opts.analyzed}"`);

  try {
    // D-413: timed from here, as the reference's Build (inputs read and checked), to before
    // metadata.toml is written.
    const metadata = await timed(log, 'Builder', () => buildGroup(opts, user, group, plan, analyzed, log));
    const metadataPath = join(opts.layers, 'config', 'metadata.toml');
    await writeBuildMetadata(metadataPath, metadata, {
      commandArray: platformFeatures.processCommandArray(opts.platformApi),
    });
    await user.handOver([join(opts.layers, 'config'), join(opts.layers, 'sbom')]);
    return { metadata, metadataPath };
  } catch (e) {
    throw asBuildError(e);
  }
}

/** Runs every group buildpack's bin/build in order and gathers what goes into metadata.toml. */
async function buildGroup(
  opts: BuildOptions,
  user: BuildpackUser,
  group: Group,
  initialPlan: Plan,
  analyzed: Analyzed | undefined,
  log: Logger,
): Promise<BuildMetadata> {
  let plan = initialPlan;
  // The reference removes stale SBOMs before building (docs/reference-behaviour.md §5).
  await rm(join(opts.layers, 'sbom'), { recursive: true, force: true });
  const store = new ModuleStore({ buildpacks: opts.buildpacks });
  const target = analyzed?.runImage?.target ?? { os: '', arch: '' };
  const osRelease = target.distro ? undefined : await readDistro(opts.osReleasePath ?? '/etc/os-release');
  const tEnv = targetEnv(withOsRelease(target, osRelease), ociArch(process.arch));
  const platformEnv = {
    user: await readUserEnv(opts.platform),
    operator: opts.buildConfig === undefined ? [] : await readOperatorEnv(opts.buildConfig),
  };
  let env: Record<string, string> = baseBuildEnv(applyEnv(opts.env, user.env));
  let processes: ProcessSet = emptyProcessSet;
  const labels: Label[] = [];
  const slices: Slice[] = [];
  const launchBom: object[] = [];
  const buildBom: object[] = [];

  for (const el of group.group) {
    log.debug(`Running build for buildpack ${el.id}@${el.version}`);
    const mod = await store.buildpack(el.id, el.version);
    const escapedId = escapeId(el.id);
    const bpPlan = buildpackPlanFor(plan, el.id);
    const out = await runBuildpackBuild(
      {
        app: opts.app,
        layers: opts.layers,
        platform: opts.platform,
        descriptor: mod.descriptor,
        api: mod.api,
        escapedId,
        plan: bpPlan,
        env,
        platformEnv,
        targetEnv: tEnv,
        execEnv: opts.execEnv ?? 'production',
        ...user.spawnAs,
      },
      log,
    );
    env = out.env;
    plan = removeMet(plan, out.met);
    labels.push(...out.labels);
    slices.push(...out.slices);
    launchBom.push(...withBuildpack(out.launchBom, el));
    buildBom.push(...withBuildpack(out.buildBom, el));
    const added = addProcesses(processes, out.processes, el.id);
    processes = added.set;
    if (added.warning) log.warn(added.warning);
    // SBOM files exist from Platform API 0.8 (platform-0.8.md "builder").
    if (platformFeatures.sbomFiles(opts.platformApi))
      await copySbomFiles(opts.layers, join(opts.layers, escapedId), escapedId, out.sbomFiles);
    log.debug(`Finished running build for buildpack ${el.id}@${el.version}`);
  }

  // Platform API 0.9+: the legacy BOM goes to sbom.legacy.json, not metadata.toml (platform-0.9.md
  // "builder"); before, the launch BOM is metadata.toml's `[[bom]]`.
  const bomFiles = platformFeatures.bomAsSbomFile(opts.platformApi);
  for (const [kind, bom] of [
    ['launch', launchBom],
    ['build', buildBom],
  ] as const) {
    if (bom.length === 0 || !bomFiles) continue;
    await mkdir(join(opts.layers, 'sbom', kind), { recursive: true });
    await writeFile(join(opts.layers, 'sbom', kind, 'sbom.legacy.json'), JSON.stringify(bom));
  }

  const metadata: BuildMetadata = {
    buildpacks: group.group.map(toMetadataModule),
    extensions: group.groupExtensions.map(toMetadataModule),
    labels,
    processes: listProcesses(processes),
    slices,
    ...(processes.defaultType === undefined ? {} : { buildpackDefaultProcessType: processes.defaultType }),
    ...(bomFiles || launchBom.length === 0 ? {} : { bom: launchBom as NonNullable<BuildMetadata['bom']> }),
  };
  return metadata;
}
