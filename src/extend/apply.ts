import { chmod, lstat, mkdir } from 'node:fs/promises';
import { heredocMarkerName, type Instruction } from '../buildpack/index.ts';
import type { ContainerConfig } from '../image/index.ts';
import { isLifecycleError, type Logger, messageOf } from '../platform/index.ts';
import { applyCopy } from './copy.ts';
import { type DockerfileSteps, dockerfileError, leadingFlags } from './dockerfile-steps.ts';
import type { IgnoreRules } from './dockerignore.ts';
import { imagePathOf, resolveInRoot } from './root-path.ts';
import { type RunUser, readUserDb, resolveChown, resolveRunUser } from './users.ts';
import { execForm, parsePairs, processWord, splitWords } from './words.ts';

/** A RUN to execute: argv, environment, working directory and user, all from the image. */
export interface RunCommand {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly user: RunUser;
  /** `RUN ...` as written, for logs. */
  readonly text: string;
}

/** Executes a RUN; rejects when the command fails. */
export type RunExecutor = (cmd: RunCommand) => Promise<void>;

/** Called after each instruction; `fs` is true when it may have changed files (RUN, COPY, ADD, WORKDIR). */
export type StepHook = (step: {
  readonly instruction: Instruction;
  readonly createdBy: string;
  readonly fs: boolean;
}) => Promise<void>;

/** Options of {@link applyDockerfile}. */
export interface ApplyOptions {
  /** The checked Dockerfile. */
  readonly dockerfile: DockerfileSteps;
  /** The container config of the image being extended. */
  readonly config: ContainerConfig;
  /** Build args (`build_id`, `user_id`, `group_id`, `base_image`, the extension's args). */
  readonly buildArgs: ReadonlyMap<string, string>;
  /** The build context (COPY/ADD sources). */
  readonly context: string;
  /** Its `.dockerignore` rules (see `readDockerignore`). */
  readonly ignore?: IgnoreRules;
  /** The root filesystem the instructions change; default `/` (the live container). */
  readonly root?: string;
  /** Runs RUN commands (see `spawnRun`). */
  readonly run: RunExecutor;
  readonly onStep?: StepHook;
}

/** The default PATH Docker gives a RUN when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
    else m.set(e, '');
  }
  return m;
}

/** Mutable state of one application. */
class Build {
  env: Map<string, string>;
  labels: Record<string, string>;
  config: Record<string, unknown>;
  /** Declared ARGs with a value (build arg or default), in scope after FROM. */
  args = new Map<string, string>();

  constructor(config: ContainerConfig) {
    this.config = { ...config };
    this.env = envMap(config.Env);
    this.labels = { ...(config.Labels ?? {}) };
  }

  /** Words see ENV first, then ARGs (Dockerfile reference "ARG": ENV overrides ARG). */
  vars(): Map<string, string> {
    return new Map([...this.args, ...this.env]);
  }

  result(): ContainerConfig {
    const out: Record<string, unknown> = { ...this.config };
    out['Env'] = [...this.env].map(([k, v]) => `${k}=${v}`);
    if (Object.keys(this.labels).length > 0) out['Labels'] = { ...this.labels };
    return out as ContainerConfig;
  }
}

function declareArgs(
  b: Build,
  ins: Instruction,
  buildArgs: ReadonlyMap<string, string>,
  vars: Map<string, string>,
): void {
  for (const w of splitWords(ins.args)) {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`'${name}' is not a valid ARG name`);
    const given = buildArgs.get(name);
    if (given !== undefined) b.args.set(name, given);
    else if (eq >= 0) b.args.set(name, processWord(w.slice(eq + 1), vars));
    else b.args.delete(name);
  }
}

/** A heredoc delimiter that is not a line of `body`. */
function delimiterFor(body: string): string {
  const lines = new Set(body.split('\n'));
  let d = 'CNB_HEREDOC_SCRIPT';
  for (let n = 1; lines.has(d); n++) d = `CNB_HEREDOC_SCRIPT_${n}`;
  return d;
}

/**
 * The argv of a shell-form RUN with heredocs (D-359, D-422). A RUN that is only `<<NAME` runs the body as
 * a script, as BuildKit does: without a `#!` line as the SHELL's command string (`/bin/sh -c <body>`, so
 * no outer shell expands it), with one through its interpreter reading `/dev/fd/3`, which the SHELL opens
 * on a quoted here-document of the body (a real pipe or file: the `pipe` stdio of Node is a socket, which
 * `/dev/fd/N` cannot open). Standard input is never the script, so commands in it that read stdin get
 * end-of-file instead of the rest of the script. Any other RUN gets the bodies and terminators after its
 * command line, for the shell to read as here-documents (kaniko, BuildKit).
 */
export function heredocRun(shell: readonly string[], rest: string, ins: Instruction): string[] {
  const docs = ins.heredocs ?? [];
  const only = docs.length === 1 ? docs[0] : undefined;
  if (only && heredocMarkerName(rest) === only.name) {
    const bang = /^#!(.*)\n/.exec(only.data);
    const interp = bang?.[1]?.trim().split(/\s+/).filter(Boolean);
    if (interp === undefined || interp.length === 0) return [...shell, only.data];
    const end = delimiterFor(only.data);
    const body = only.data.endsWith('\n') ? only.data : `${only.data}\n`;
    return [...shell, `exec "$@" 3<<'${end}'\n${body}${end}\n`, 'sh', ...interp, '/dev/fd/3'];
  }
  return [...shell, rest + docs.map((h) => `\n${h.data}${h.name}`).join('')];
}

async function runStep(o: ApplyOptions, b: Build, root: string, ins: Instruction): Promise<void> {
  const exec = execForm(ins.args);
  const shell = (b.config['Shell'] as string[] | undefined) ?? ['/bin/sh', '-c'];
  const argv = exec ?? heredocRun(shell, leadingFlags(ins.args).rest, ins);
  const db = await readUserDb(root);
  const user = resolveRunUser(db, b.config['User'] as string | undefined);
  // The image's environment and the declared args only: never the lifecycle's own (D-351).
  const env: Record<string, string> = { ...Object.fromEntries(b.args), ...Object.fromEntries(b.env) };
  env['PATH'] ??= DEFAULT_PATH;
  env['HOME'] ??= user.home;
  const cwd = (b.config['WorkingDir'] as string | undefined) || '/';
  await o.run({ argv, env, cwd, user, text: `RUN ${ins.args}` });
}

async function copyStep(o: ApplyOptions, b: Build, root: string, ins: Instruction): Promise<void> {
  const { flags, rest } = leadingFlags(ins.args);
  const vars = b.vars();
  const docs = ins.heredocs ?? [];
  const raw = execForm(rest) ?? splitWords(rest);
  // heredoc sources become files of their body, not expanded (kaniko's default, D-359)
  const contents = raw
    .slice(0, -1)
    .map(heredocMarkerName)
    .flatMap((n) => docs.filter((h) => h.name === n).map((h) => ({ name: h.name, data: h.data })));
  const words = (
    execForm(rest) ? raw : raw.map((w) => (heredocMarkerName(w) ? w : processWord(w, vars)))
  ).filter((w, i, all) => i === all.length - 1 || heredocMarkerName(w) === undefined);
  if (words.length + contents.length < 2)
    throw new Error(`${ins.name} needs at least one source and a destination`);
  const dest = imagePathOf(
    (b.config['WorkingDir'] as string | undefined) || '/',
    words[words.length - 1] as string,
  );
  const chown = flags.get('chown');
  const chmodFlag = flags.get('chmod');
  if (chmodFlag !== undefined && !/^[0-7]{3,4}$/.test(chmodFlag))
    throw new Error(`--chmod=${chmodFlag}: only octal modes are supported`);
  await applyCopy({
    root,
    context: o.context,
    sources: words.slice(0, -1),
    contents,
    ...(o.ignore ? { ignore: o.ignore } : {}),
    dest,
    ...(chown ? { owner: resolveChown(await readUserDb(root), processWord(chown, vars)) } : {}),
    ...(chmodFlag ? { chmod: Number.parseInt(chmodFlag, 8) } : {}),
    extractArchives: ins.name === 'ADD',
  });
}

async function workdirStep(b: Build, root: string, ins: Instruction): Promise<void> {
  const dir = imagePathOf(
    (b.config['WorkingDir'] as string | undefined) || '/',
    processWord(ins.args.trim(), b.vars()),
  );
  const host = await resolveInRoot(root, dir, true);
  if (!(await lstat(host).catch(() => undefined))) {
    await mkdir(host, { recursive: true, mode: 0o755 });
    await chmod(host, 0o755);
  }
  b.config['WorkingDir'] = dir.replace(/(.)\/+$/, '$1');
}

function metaStep(b: Build, ins: Instruction): void {
  const vars = b.vars();
  switch (ins.name) {
    case 'ENV':
      for (const [k, v] of parsePairs(ins.args, vars, true)) b.env.set(k, v);
      return;
    case 'LABEL':
      for (const [k, v] of parsePairs(ins.args, vars, true)) b.labels[k] = v;
      return;
    case 'USER':
      b.config['User'] = processWord(ins.args.trim(), vars);
      return;
    case 'SHELL': {
      const shell = execForm(ins.args);
      if (shell === undefined || shell.length === 0)
        throw new Error('SHELL must be a JSON array, e.g. SHELL ["/bin/bash", "-c"]');
      b.config['Shell'] = shell;
      return;
    }
  }
}

/**
 * Applies a checked Dockerfile to a root filesystem (image-extension.md "Phase: Extension"; the
 * Dockerfile reference for each instruction's meaning) and returns the resulting container config.
 * Build args take effect only where declared by ARG; RUN sees the image env and declared args.
 * @throws LifecycleError (exit 102) naming the Dockerfile and line of the failing instruction.
 */
export async function applyDockerfile(o: ApplyOptions, log: Logger): Promise<ContainerConfig> {
  const root = o.root ?? '/';
  const b = new Build(o.config);
  const file = o.dockerfile.file;
  for (const ins of o.dockerfile.steps) {
    log.debug(`${file}:${ins.line}: ${ins.name} ${ins.args}`);
    const fs = ['RUN', 'COPY', 'ADD', 'WORKDIR'].includes(ins.name);
    try {
      if (ins.name === 'ARG') declareArgs(b, ins, o.buildArgs, b.vars());
      else if (ins.name === 'RUN') await runStep(o, b, root, ins);
      else if (ins.name === 'COPY' || ins.name === 'ADD') await copyStep(o, b, root, ins);
      else if (ins.name === 'WORKDIR') await workdirStep(b, root, ins);
      else metaStep(b, ins);
    } catch (e) {
      if (isLifecycleError(e)) throw e;
      throw dockerfileError(file, ins.line, `${ins.name} failed: ${messageOf(e)}`);
    }
    await o.onStep?.({ instruction: ins, createdBy: `${ins.name} ${ins.args}`, fs });
  }
  return b.result();
}
