import { LifecycleError, type Logger } from '../platform/index.ts';

/** One Dockerfile instruction (continuation lines joined). */
export interface Instruction {
  /** Upper-cased keyword, e.g. `FROM`. */
  readonly name: string;
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
}

/** Instructions a generated Dockerfile may use (image-extension.md "Dockerfile Requirements"). */
export const RECOMMENDED_INSTRUCTIONS: readonly string[] = [
  'ADD',
  'ARG',
  'COPY',
  'ENV',
  'LABEL',
  'RUN',
  'SHELL',
  'USER',
  'WORKDIR',
];

/** The build arg naming the image a Dockerfile extends. */
export const BASE_IMAGE_ARG = 'base_image';

/**
 * Splits Dockerfile text into instructions: comments and blank lines skipped, `\` continuations
 * joined. Heredocs are not interpreted (enough for the checks below).
 */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length) {
    const start = i;
    let cur = (lines[i] ?? '').trim();
    i++;
    if (cur === '' || cur.startsWith('#')) continue;
    while (cur.endsWith('\\') && i < lines.length) {
      const next = (lines[i] ?? '').trim();
      i++;
      // Comment and empty lines inside a continuation are skipped, as Docker does.
      if (next === '' || next.startsWith('#')) continue;
      cur = `${cur.slice(0, -1)} ${next}`;
    }
    if (cur.endsWith('\\')) cur = cur.slice(0, -1);
    const m = /^(\S+)\s*(.*)$/.exec(cur);
    if (m?.[1]) out.push({ name: m[1].toUpperCase(), args: (m[2] ?? '').trim(), line: start + 1 });
  }
  return out;
}

/** The image of a `FROM [--flag=...] <image> [AS <name>]` instruction. */
function fromImage(args: string): string {
  const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
  return words[0] ?? '';
}

function isBaseImageRef(image: string): boolean {
  return image === `\${${BASE_IMAGE_ARG}}` || image === `$${BASE_IMAGE_ARG}`;
}

function dockerfileError(file: string, problem: string): LifecycleError {
  return new LifecycleError('ERR_DOCKERFILE', 'generate', `${file}: ${problem}`);
}

function warnNotRecommended(stage: readonly Instruction[], file: string, log: Logger): void {
  for (const ins of stage) {
    if (!RECOMMENDED_INSTRUCTIONS.includes(ins.name)) {
      log.warn(
        `${file}:${ins.line}: the ${ins.name} instruction is not recommended in a generated Dockerfile`,
      );
    }
  }
}

/** Splits into meta ARGs (before the first FROM), FROM instructions and the first stage's body. */
function stages(ins: readonly Instruction[]) {
  const firstFrom = ins.findIndex((x) => x.name === 'FROM');
  const froms = ins.filter((x) => x.name === 'FROM');
  const meta = firstFrom < 0 ? ins : ins.slice(0, firstFrom);
  const body = firstFrom < 0 ? [] : ins.slice(firstFrom + 1);
  return { meta, froms, body };
}

/**
 * Checks a `build.Dockerfile` (image-extension.md "Dockerfile Requirements"): it must begin with
 * `ARG base_image` and `FROM ${base_image}`, with no other FROM; other instructions than the
 * recommended ones are warned about. Violations are generation errors (exit 92).
 */
export function checkBuildDockerfile(text: string, file: string, log: Logger): void {
  const { meta, froms, body } = stages(parseDockerfile(text));
  if (froms.length > 1) throw dockerfileError(file, 'multi-stage builds are not permitted (only one FROM)');
  const arg = meta.length === 1 && meta[0]?.name === 'ARG' ? meta[0].args.split('=')[0]?.trim() : undefined;
  if (arg !== BASE_IMAGE_ARG) throw dockerfileError(file, `must begin with "ARG ${BASE_IMAGE_ARG}"`);
  const from = froms[0];
  if (from === undefined || !isBaseImageRef(fromImage(from.args))) {
    throw dockerfileError(file, `must have "FROM \${${BASE_IMAGE_ARG}}" after "ARG ${BASE_IMAGE_ARG}"`);
  }
  warnNotRecommended(body, file, log);
}

/** What a `run.Dockerfile` does to the run image. */
export interface RunDockerfileInfo {
  /** The image it switches to, when its FROM is not `${base_image}`. */
  readonly newBase?: string;
  /** True when it has instructions after FROM (the run image is extended). */
  readonly extend: boolean;
}

/**
 * Reads a `run.Dockerfile` (image-extension.md "Dockerfile Requirements"): exactly one FROM; a FROM
 * other than `${base_image}` switches the run image; any further instruction extends it.
 */
export function analyzeRunDockerfile(text: string, file: string, log: Logger): RunDockerfileInfo {
  const { froms, body } = stages(parseDockerfile(text));
  if (froms.length > 1) throw dockerfileError(file, 'multi-stage builds are not permitted (only one FROM)');
  const from = froms[0];
  if (from === undefined) throw dockerfileError(file, 'has no FROM instruction');
  warnNotRecommended(body, file, log);
  const image = fromImage(from.args);
  return { ...(isBaseImageRef(image) ? {} : { newBase: image }), extend: body.length > 0 };
}
