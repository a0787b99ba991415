import { lchown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBuildLayers, buildpackEnv, type PlatformEnv } from '../env/index.ts';
import {
  type BomEntry,
  type BuildpackDescriptor,
  type BuildpackPlan,
  type Label,
  type LaunchProcess,
  type LayerTypes,
  metRequires,
  readBuildToml,
  readLaunchToml,
  type Slice,
  validateUnmet,
  writeBuildpackPlan,
} from '../files/index.ts';
import { type ApiVersion, buildpackFeatures, LifecycleError, type Logger } from '../platform/index.ts';
import { asBuildError } from './build-errors.ts';
import { readBuildpackLayers, renameIgnoredLayers } from './build-layers.ts';
import { findSbomFiles, type SbomFile, validateSbomFiles } from './build-sbom.ts';
import { execBuildpack } from './exec.ts';

/** Everything one buildpack's bin/build needs (buildpack.md "Build"). */
export interface BuildpackBuildInputs {
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly descriptor: BuildpackDescriptor;
  /** The buildpack's API (already checked; exit 12 otherwise). */
  readonly api: ApiVersion;
  /** `<layers>/<escaped id>` directory name (S-1). */
  readonly escapedId: string;
  readonly plan: BuildpackPlan;
  /** The build env so far: base env plus earlier buildpacks' build layers. */
  readonly env: Readonly<Record<string, string>>;
  readonly platformEnv: PlatformEnv;
  /** `CNB_TARGET_*` (given to buildpacks of API 0.10+). */
  readonly targetEnv: Readonly<Record<string, string>>;
  /** `CNB_EXEC_ENV` value (given to buildpacks of API 0.12+). */
  readonly execEnv: string;
  readonly uid?: number;
  readonly gid?: number;
}

/** What one buildpack's build produced. */
export interface BuildpackBuildOutputs {
  /** The build env for later buildpacks (this buildpack's `build = true` layers applied). */
  readonly env: Record<string, string>;
  readonly layers: ReadonlyMap<string, LayerTypes>;
  readonly sbomFiles: readonly SbomFile[];
  readonly labels: readonly Label[];
  readonly processes: readonly LaunchProcess[];
  readonly slices: readonly Slice[];
  readonly launchBom: readonly BomEntry[];
  readonly buildBom: readonly BomEntry[];
  /** Plan entry names this buildpack met (its plan minus `[[unmet]]`). */
  readonly met: readonly string[];
}

/**
 * The environment of bin/build: the build env, user env (unless `clear-env`), operator env, then
 * the lifecycle's inputs (buildpack.md "Build"; BUILDPACK-API-VERSIONS.md G): `CNB_BUILDPACK_DIR`
 * always; `CNB_LAYERS_DIR`, `CNB_PLATFORM_DIR`, `CNB_BP_PLAN_PATH` for 0.8+; `CNB_TARGET_*` for
 * 0.10+; `CNB_EXEC_ENV` for 0.12+. Pure.
 */
export function buildProcessEnv(
  i: Pick<
    BuildpackBuildInputs,
    'env' | 'platformEnv' | 'descriptor' | 'api' | 'platform' | 'targetEnv' | 'execEnv'
  >,
  bpLayersDir: string,
  planPath: string,
): Record<string, string> {
  const env = buildpackEnv(i.env, i.platformEnv, i.descriptor.buildpack.clearEnv);
  env['CNB_BUILDPACK_DIR'] = i.descriptor.dir;
  if (buildpackFeatures.cnbEnvVars(i.api)) {
    env['CNB_LAYERS_DIR'] = bpLayersDir;
    env['CNB_PLATFORM_DIR'] = i.platform;
    env['CNB_BP_PLAN_PATH'] = planPath;
  }
  if (buildpackFeatures.targetEnv(i.api)) Object.assign(env, i.targetEnv);
  if (buildpackFeatures.execEnv(i.api)) env['CNB_EXEC_ENV'] = i.execEnv;
  return env;
}

async function handOver(path: string, uid: number | undefined, gid: number | undefined): Promise<void> {
  if (uid === undefined || gid === undefined) return;
  try {
    // lchown: a `<layers>/<bp>` left as a symlink by an earlier build is never followed (D-201).
    await lchown(path, uid, gid);
  } catch (e) {
    // Only root can give files away; when not root the buildpack runs as us anyway.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  }
}

/**
 * Runs one buildpack's bin/build and processes its outputs (buildpack.md "Phase #5: Build"):
 * creates `<layers>/<escaped id>`, writes its Buildpack Plan, runs `bin/build <layers> <platform>
 * <plan>` (S-2) in `<app>`, then reads `<layer>.toml`s, renames ignored layers, applies
 * build layers to the env, reads build.toml and launch.toml and finds SBOM files.
 * A non-zero exit is exit 51; a bad output file is exit 52.
 */
export async function runBuildpackBuild(
  i: BuildpackBuildInputs,
  log: Logger,
): Promise<BuildpackBuildOutputs> {
  const { descriptor: d } = i;
  const bp = `${d.buildpack.id}@${d.buildpack.version}`;
  const bpLayersDir = join(i.layers, i.escapedId);
  await mkdir(bpLayersDir, { recursive: true });
  await handOver(bpLayersDir, i.uid, i.gid);
  const planDir = await mkdtemp(join(tmpdir(), `${i.escapedId}-`));
  try {
    const planPath = join(planDir, 'plan.toml');
    await writeBuildpackPlan(planPath, i.plan);
    await handOver(planDir, i.uid, i.gid);
    await handOver(planPath, i.uid, i.gid);
    const cmd = join(d.dir, 'bin', 'build');
    log.debug(`Running ${cmd} for buildpack ${bp}`);
    const res = await execBuildpack(
      {
        cmd,
        args: [bpLayersDir, i.platform, planPath],
        env: buildProcessEnv(i, bpLayersDir, planPath),
        cwd: i.app,
        ...(i.uid === undefined ? {} : { uid: i.uid }),
        ...(i.gid === undefined ? {} : { gid: i.gid }),
      },
      log,
    );
    if (res.code !== 0) {
      const why = res.error ?? (res.signal ? `killed by ${res.signal}` : `exit status ${res.code}`);
      throw new LifecycleError(
        'ERR_BUILDPACK_BUILD',
        'buildpackBuild',
        `failed to build: buildpack ${bp}: bin/build failed: ${why}`,
      );
    }
    return await readOutputs(i, bpLayersDir, bp, log);
  } finally {
    await rm(planDir, { recursive: true, force: true });
  }
}

async function readOutputs(
  i: BuildpackBuildInputs,
  bpLayersDir: string,
  bp: string,
  log: Logger,
): Promise<BuildpackBuildOutputs> {
  try {
    const layers = await readBuildpackLayers(bpLayersDir);
    const renamed = await renameIgnoredLayers(bpLayersDir, layers);
    for (const n of renamed) log.debug(`Renamed ignored layer ${n} of buildpack ${bp} to ${n}.ignore`);
    const buildDirs = [...layers].filter(([, t]) => t.build).map(([n]) => join(bpLayersDir, n));
    const env = await applyBuildLayers(i.env, buildDirs);

    const buildTomlPath = join(bpLayersDir, 'build.toml');
    const buildToml = await readBuildToml(buildTomlPath);
    validateUnmet(
      buildToml.unmet,
      i.plan.entries.map((e) => e.name),
      buildTomlPath,
    );

    const sbomFiles = await findSbomFiles(bpLayersDir, layers);
    validateSbomFiles(sbomFiles, i.descriptor.buildpack.sbomFormats, bp, bpLayersDir);

    const warn = (m: string) => log.warn(m);
    const launch = await readLaunchToml(join(bpLayersDir, 'launch.toml'), i.api, warn);
    const launchBom = launch?.bom ?? [];
    if ((launchBom.length > 0 || buildToml.bom.length > 0) && sbomFiles.length === 0) {
      log.warn(
        'BOM table is deprecated in this buildpack api version, though it remains supported for backwards compatibility. ' +
          'Buildpack authors should write BOM information to <layer>.sbom.<ext>, launch.sbom.<ext>, or build.sbom.<ext>.',
      );
    }
    return {
      env,
      layers,
      sbomFiles,
      labels: launch?.labels ?? [],
      processes: launch?.processes ?? [],
      slices: launch?.slices ?? [],
      launchBom,
      buildBom: buildToml.bom,
      met: metRequires(i.plan, buildToml.unmet),
    };
  } catch (e) {
    throw asBuildError(e, `buildpack ${bp}`);
  }
}
