import { access, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildpackEnv, type PlatformEnv } from '../env/index.ts';
import { MAX_TOML_BYTES, readBounded, type TargetMetadata } from '../files/index.ts';
import { buildpackFeatures, type Logger, messageOf } from '../platform/index.ts';
import { type DetectPlan, EMPTY_DETECT_PLAN, parseDetectPlan } from './detect-plan.ts';
import { execBuildpack } from './exec.ts';
import type { BuildpackModule, ExtensionModule } from './lookup.ts';
import { targetEnv } from './target.ts';

/** Exit status of bin/detect that means "pass" (buildpack.md "Detection"). */
export const DETECT_PASS = 0;
/** Exit status of bin/detect that means "fail" (opted out). */
export const DETECT_FAIL = 100;
/** Code recorded when the lifecycle itself could not run or understand a detect (reference: -1). */
export const DETECT_ERROR = -1;

/** The outcome of one bin/detect. */
export interface DetectRun {
  /** 0 pass, 100 fail, -1 lifecycle-side error (unparsable plan, target mismatch, not executable), else the buildpack's error status. */
  readonly code: number;
  /** Combined stdout and stderr. */
  readonly output: string;
  readonly error?: string;
  readonly plan: DetectPlan;
}

/** What every bin/detect of a detector run shares. */
export interface DetectContext {
  readonly app: string;
  readonly platform: string;
  /** The lifecycle's env filtered by `baseBuildEnv`. */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly platformEnv: PlatformEnv;
  /** The run image target from analyzed.toml (empty fields when unknown), completed by `withOsRelease`. */
  readonly target: TargetMetadata;
  /** OCI name of the host architecture (the CNB_TARGET_ARCH fallback). */
  readonly hostArch: string;
  /** Directory for per-buildpack plan files. */
  readonly tmpDir: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly signal?: AbortSignal;
  /** CNB_EXEC_ENV given to buildpacks of API 0.12+ (default `production`). */
  readonly execEnv?: string;
}

/** What detection needs to know about a buildpack or an image extension. */
function facts(mod: BuildpackModule | ExtensionModule) {
  const info = mod.kind === 'buildpack' ? mod.descriptor.buildpack : mod.descriptor.extension;
  return {
    who: `${info.id}@${info.version}`,
    dir: mod.descriptor.dir,
    // Extensions have no clear-env (image-extension.md "extension.toml").
    clearEnv: mod.kind === 'buildpack' ? mod.descriptor.buildpack.clearEnv : false,
    extension: mod.kind === 'extension',
  };
}

/**
 * The environment of one bin/detect (buildpack.md "Detection" and "Environment"; reference order,
 * docs/reference-behaviour.md §2): filtered lifecycle env, user env unless `clear-env`, operator env,
 * `CNB_BUILDPACK_DIR` (`CNB_EXTENSION_DIR` for an extension, image-extension.md "Detection"), then
 * by buildpack API: `CNB_PLATFORM_DIR`/`CNB_BUILD_PLAN_PATH` (0.8+), `CNB_TARGET_*` (0.10+),
 * `CNB_EXEC_ENV` (0.12+).
 */
export function detectEnv(
  mod: BuildpackModule | ExtensionModule,
  ctx: DetectContext,
  planPath: string,
): Record<string, string> {
  const f = facts(mod);
  const env = buildpackEnv(ctx.baseEnv, ctx.platformEnv, f.clearEnv);
  env[f.extension ? 'CNB_EXTENSION_DIR' : 'CNB_BUILDPACK_DIR'] = f.dir;
  if (buildpackFeatures.cnbEnvVars(mod.api)) {
    env.CNB_PLATFORM_DIR = ctx.platform;
    env.CNB_BUILD_PLAN_PATH = planPath;
  }
  if (buildpackFeatures.targetEnv(mod.api)) Object.assign(env, targetEnv(ctx.target, ctx.hostArch));
  if (buildpackFeatures.execEnv(mod.api)) env.CNB_EXEC_ENV = ctx.execEnv ?? 'production';
  return env;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/**
 * An extension without bin/detect passes; `<ext>/detect/plan.toml`, when present, is its plan
 * (image-extension.md "Detection").
 */
async function prepopulatedDetect(mod: ExtensionModule): Promise<DetectRun> {
  const f = facts(mod);
  const file = join(f.dir, 'detect', 'plan.toml');
  try {
    const text = await readBounded(file, MAX_TOML_BYTES, 'build plan').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    return { code: DETECT_PASS, output: '', plan: parseDetectPlan(text, file, f.who, true) };
  } catch (e) {
    return {
      code: DETECT_ERROR,
      output: '',
      error: `${f.who}: invalid build plan: ${messageOf(e)}`,
      plan: EMPTY_DETECT_PLAN,
    };
  }
}

/**
 * Runs `<bp>/bin/detect <platform> <plan>` in `<app>` (S-2: positional args for every API)
 * and reads the plan it wrote when it passed. Never throws for buildpack faults: they become runs
 * with a non-pass code. Works for buildpacks and image extensions.
 */
export async function runDetect(
  mod: BuildpackModule | ExtensionModule,
  ctx: DetectContext,
  log: Logger,
): Promise<DetectRun> {
  const { who, dir, extension } = facts(mod);
  if (mod.kind === 'extension' && !(await exists(join(dir, 'bin', 'detect')))) return prepopulatedDetect(mod);
  let planDir: string | undefined;
  try {
    planDir = await mkdtemp(join(ctx.tmpDir, 'plan.'));
    const planPath = join(planDir, 'plan.toml');
    await writeFile(planPath, '', { mode: 0o600 });
    if (ctx.uid !== undefined && ctx.gid !== undefined) {
      await chown(planDir, ctx.uid, ctx.gid);
      await chown(planPath, ctx.uid, ctx.gid);
    }
    const res = await execBuildpack(
      {
        cmd: join(dir, 'bin', 'detect'),
        args: [ctx.platform, planPath],
        env: detectEnv(mod, ctx, planPath),
        cwd: ctx.app,
        output: 'capture',
        ...(ctx.uid === undefined ? {} : { uid: ctx.uid }),
        ...(ctx.gid === undefined ? {} : { gid: ctx.gid }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      },
      log,
    );
    if (res.code !== DETECT_PASS) {
      return {
        code: res.code,
        output: res.output,
        plan: EMPTY_DETECT_PLAN,
        ...(res.error ? { error: res.error } : {}),
      };
    }
    // The plan is read only when bin/detect passed; an unparsable plan is a buildpack error.
    try {
      const text = await readBounded(planPath, MAX_TOML_BYTES, 'build plan', { noFollow: true }).catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return '';
          throw e;
        },
      );
      return { code: DETECT_PASS, output: res.output, plan: parseDetectPlan(text, planPath, who, extension) };
    } catch (e) {
      return {
        code: DETECT_ERROR,
        output: res.output,
        error: `${who}: invalid build plan: ${messageOf(e)}`,
        plan: EMPTY_DETECT_PLAN,
      };
    }
  } catch (e) {
    return { code: DETECT_ERROR, output: '', error: `${who}: ${messageOf(e)}`, plan: EMPTY_DETECT_PLAN };
  } finally {
    if (planDir !== undefined) await rm(planDir, { recursive: true, force: true }).catch(() => {});
  }
}
