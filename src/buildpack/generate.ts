import { access, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildpackEnv } from '../env/index.ts';
import {
  type Analyzed,
  buildpackPlanToToml,
  MAX_TOML_BYTES,
  type Plan,
  type PlanRequire,
  parseToml,
  type RunFile,
  readBounded,
  removeMet,
  writeFileAtomic,
} from '../files/index.ts';
import { buildpackFeatures, LifecycleError, type Logger, toPhaseError } from '../platform/index.ts';
import type { DetectContext } from './detect.ts';
import { analyzeRunDockerfile, checkBuildDockerfile } from './dockerfile.ts';
import { execBuildpack } from './exec.ts';
import {
  checkContexts,
  extensionOutputDir,
  type GeneratedLayout,
  placeDockerfiles,
  placePrepopulated,
} from './generated-dir.ts';
import { type ExtensionModule, escapeId } from './lookup.ts';
import { targetEnv } from './target.ts';

/** Inputs of the generation phase run by the detector (image-extension.md "Phase: Generation"). */
export interface GenerateInputs {
  /** The detected extensions, in group order. */
  readonly extensions: readonly ExtensionModule[];
  /** The resolved plan; entries an extension provides are met by it and removed. */
  readonly plan: Plan;
  readonly analyzed: Analyzed;
  /** run.toml, to warn when an extension picks a run image it does not list. */
  readonly run: RunFile | undefined;
  /** `<generated>`: where the extender finds the Dockerfiles, laid out as `layout` says. */
  readonly generated: string;
  /** By kind before Platform API 0.13, by extension from 0.13 (default `by-kind`; D-314). */
  readonly layout?: GeneratedLayout;
  readonly ctx: DetectContext;
}

/** The filtered plan and the analyzed metadata with the selected run image. */
export interface GenerateResult {
  readonly plan: Plan;
  readonly analyzed: Analyzed;
}

/** A Dockerfile an extension generated. */
export interface GeneratedDockerfile {
  readonly extensionId: string;
  readonly kind: 'build' | 'run';
  readonly path: string;
  readonly newBase?: string;
  readonly extend: boolean;
  ignore: boolean;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** The requires of the plan entries this extension provides (image-extension.md "Process"). */
function extensionPlan(plan: Plan, id: string): PlanRequire[] {
  return plan.entries
    .filter((e) => e.providers.some((p) => p.extension && p.id === id))
    .flatMap((e) => e.requires);
}

/**
 * Runs each extension's bin/generate (or takes its pre-populated `generate/` dir), validates and
 * copies the Dockerfiles to `<generated>`, removes the entries extensions met from the plan, and
 * selects the run image (platform.md "detector": run image selection). A failing bin/generate is
 * exit 91; other generation errors are exit 92.
 */
export async function generate(inputs: GenerateInputs, log: Logger): Promise<GenerateResult> {
  const { ctx } = inputs;
  const layout = inputs.layout ?? 'by-kind';
  const tmp = await mkdtemp(join(ctx.tmpDir, 'generate.'));
  try {
    let plan = inputs.plan;
    const dockerfiles: GeneratedDockerfile[] = [];
    for (const ext of inputs.extensions) {
      const { id, version } = ext.descriptor.extension;
      const entries = extensionPlan(plan, id);
      const out = await runGenerate(ext, entries, { tmp, generated: inputs.generated, layout }, ctx, log);
      dockerfiles.push(...(await readOutputs(id, out, log)));
      plan = removeMet(
        plan,
        entries.map((e) => e.name),
      );
      log.debug(`Finished running generate for extension ${id}@${version}`);
    }
    const analyzed = selectRunImage(inputs.analyzed, dockerfiles, inputs.run, log);
    await placeDockerfiles(dockerfiles, inputs.generated, layout);
    return { plan, analyzed };
  } catch (e) {
    // A failing bin/generate is 91; everything else here is a generation error (92).
    throw toPhaseError(e, 'generate', 'failed to generate');
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Runs `bin/generate <output> <platform> <plan>`, returning the output dir: a temp dir before Platform
 * API 0.13, `<generated>/<escaped id>` from 0.13 (D-314).
 */
async function runGenerate(
  ext: ExtensionModule,
  entries: readonly PlanRequire[],
  dirs: { readonly tmp: string; readonly generated: string; readonly layout: GeneratedLayout },
  ctx: DetectContext,
  log: Logger,
): Promise<string> {
  const { id, version } = ext.descriptor.extension;
  const bin = join(ext.descriptor.dir, 'bin', 'generate');
  const byExtension = dirs.layout === 'by-extension';
  // Without bin/generate, `<ext>/generate/` is the pre-populated output (image-extension.md "Generation").
  if (!(await exists(bin))) {
    const prepopulated = join(ext.descriptor.dir, 'generate');
    return byExtension ? placePrepopulated(prepopulated, dirs.generated, id) : prepopulated;
  }
  const dir = join(dirs.tmp, escapeId(id));
  const out = byExtension ? extensionOutputDir(dirs.generated, id) : join(dir, 'output');
  const planPath = join(dir, 'plan.toml');
  await mkdir(dir, { recursive: true });
  await mkdir(out, { recursive: true });
  await writeFileAtomic(planPath, buildpackPlanToToml({ entries }));
  if (ctx.uid !== undefined && ctx.gid !== undefined) {
    const owned = [dirs.tmp, dir, out, planPath, ...(byExtension ? [dirs.generated] : [])];
    for (const p of owned) await chown(p, ctx.uid, ctx.gid);
  }
  const env = buildpackEnv(ctx.baseEnv, ctx.platformEnv, false);
  Object.assign(env, {
    CNB_BP_PLAN_PATH: planPath,
    CNB_EXTENSION_DIR: ext.descriptor.dir,
    CNB_OUTPUT_DIR: out,
    CNB_PLATFORM_DIR: ctx.platform,
  });
  if (buildpackFeatures.targetEnv(ext.api)) Object.assign(env, targetEnv(ctx.target, ctx.hostArch));
  if (buildpackFeatures.execEnv(ext.api)) env.CNB_EXEC_ENV = 'production';
  log.debug(`Running generate for extension ${id}@${version}`);
  const res = await execBuildpack(
    {
      cmd: bin,
      args: [out, ctx.platform, planPath],
      env,
      cwd: ctx.app,
      ...(ctx.uid === undefined ? {} : { uid: ctx.uid }),
      ...(ctx.gid === undefined ? {} : { gid: ctx.gid }),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    },
    log,
  );
  if (res.code !== 0) {
    throw new LifecycleError(
      'ERR_EXTENSION_GENERATE',
      'extensionGenerate',
      `failed to generate: extension ${id}@${version}: ${res.error ?? `bin/generate exited with status ${res.code}`}`,
    );
  }
  return out;
}

async function readOutputs(id: string, out: string, log: Logger): Promise<GeneratedDockerfile[]> {
  await checkContexts(out, id);
  const config = join(out, 'extend-config.toml');
  if (await exists(config))
    parseToml(await readBounded(config, MAX_TOML_BYTES, 'extend-config.toml'), config);
  const found: GeneratedDockerfile[] = [];
  const run = join(out, 'run.Dockerfile');
  if (await exists(run)) {
    const info = analyzeRunDockerfile(await readFile(run, 'utf8'), run, log);
    found.push({ extensionId: id, kind: 'run', path: run, ...info, ignore: false });
  }
  const build = join(out, 'build.Dockerfile');
  if (await exists(build)) {
    checkBuildDockerfile(await readFile(build, 'utf8'), build, log);
    found.push({ extensionId: id, kind: 'build', path: build, extend: true, ignore: false });
  }
  return found;
}

/**
 * Walks run.Dockerfiles from last to first: the last one that switches the image selects it, and
 * earlier ones are ignored; `extend` when a kept one has instructions. A new image replaces
 * `[run-image]` (its target is cleared), with a warning when run.toml does not list it.
 */
export function selectRunImage(
  analyzed: Analyzed,
  dockerfiles: GeneratedDockerfile[],
  run: RunFile | undefined,
  log: Logger,
): Analyzed {
  let newBase: string | undefined;
  let extend = false;
  for (let i = dockerfiles.length - 1; i >= 0; i--) {
    const d = dockerfiles[i];
    if (d === undefined || d.kind !== 'run') continue;
    if (newBase !== undefined) {
      d.ignore = true;
      continue;
    }
    if (d.extend) extend = true;
    if (d.newBase !== undefined) newBase = d.newBase;
  }
  let runImage = analyzed.runImage;
  if (newBase !== undefined && newBase !== runImage?.image) {
    const listed = run?.images.some((x) => x.image === newBase || x.mirrors.includes(newBase)) ?? false;
    if (!listed) log.warn(`new runtime base image '${newBase}' not found in run metadata`);
    runImage = { reference: newBase, image: newBase, extend };
  }
  if (extend && runImage !== undefined) runImage = { ...runImage, extend: true };
  return { ...analyzed, ...(runImage === undefined ? {} : { runImage }) };
}
