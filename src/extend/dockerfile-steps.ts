// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import {
  BASE_IMAGE_ARG,
  type Instruction,
  parseDockerfile,
  RECOMMENDED_INSTRUCTIONS,
} from '../buildpack/index.ts';
import { LifecycleError } from '../platform/index.ts';
import { splitWords } from './words.ts';

/**
 * Instructions the extender applies (image-extension.md "Dockerfile Requirements": ADD, ARG, COPY,
 * ENV, LABEL, RUN, SHELL, USER, WORKDIR after a single `FROM ${base_image}`). Anything else is refused
 * rather than ignored, so an image never silently differs from what `docker build` would make (D-350).
 */
export const APPLIED_INSTRUCTIONS: readonly string[] = RECOMMENDED_INSTRUCTIONS;

/** A checked Dockerfile: meta ARGs (before FROM) and the instructions after FROM. */
export interface DockerfileSteps {
  readonly file: string;
  readonly metaArgs: readonly Instruction[];
  readonly steps: readonly Instruction[];
}

/** An error in a Dockerfile, naming the file and line (exit 102, platform.md "extender"). */
export function dockerfileError(file: string, line: number | undefined, problem: string): LifecycleError {
  return new LifecycleError(
    'ERR_EXTEND_DOCKERFILE',
    'extend',
    `${file}${line ? `:${line}` : ''}: ${problem}`,
  );
}

const FLAGS: Readonly<Record<string, readonly string[]>> = {
  COPY: ['chown', 'chmod'],
  ADD: ['chown', 'chmod'],
  RUN: [],
};

/** The `--flag=value` options at the start of COPY/ADD/RUN arguments, and the rest. */
export function leadingFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (;;) {
    const m = /^--([A-Za-z-]+)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    flags.set(m[1] as string, m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function checkStep(file: string, ins: Instruction): void {
  if (!APPLIED_INSTRUCTIONS.includes(ins.name)) {
    throw dockerfileError(
      file,
      ins.line,
      `the ${ins.name} instruction is not supported in an image extension's Dockerfile (allowed: ${APPLIED_INSTRUCTIONS.join(', ')})`,
    );
  }
  const allowed = FLAGS[ins.name];
  if (allowed === undefined) return;
  const { flags, rest } = leadingFlags(ins.args);
  for (const f of flags.keys()) {
    if (f === 'from')
      throw dockerfileError(
        file,
        ins.line,
        `${ins.name} --from is not supported: sources come from the build context only`,
      );
    if (!allowed.includes(f)) throw dockerfileError(file, ins.line, `${ins.name} --${f} is not supported`);
  }
  if (ins.name === 'ADD' && /(^|\s|")[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(rest))
    throw dockerfileError(
      file,
      ins.line,
      'ADD from a URL is not supported: put the file in the build context',
    );
  if (ins.name === 'ADD' && /(^|\s|")git@/.test(rest))
    throw dockerfileError(file, ins.line, 'ADD from a git repository is not supported');
  if (rest.trim() === '') throw dockerfileError(file, ins.line, `${ins.name} needs arguments`);
  for (const h of ins.heredocs ?? [])
    if (!h.terminated)
      throw dockerfileError(file, ins.line, `the heredoc <<${h.name} has no terminating "${h.name}" line`);
}

/**
 * Parses and checks a generated Dockerfile for the extender: only ARG before the single FROM, which
 * must be `FROM ${base_image}`; only {@link APPLIED_INSTRUCTIONS} after it; COPY/ADD without `--from`
 * or URLs; heredocs terminated (D-359).
 * @throws LifecycleError (exit 102) naming the file and line.
 */
export function checkDockerfile(text: string, file: string): DockerfileSteps {
  const all = parseDockerfile(text);
  const fromAt = all.findIndex((i) => i.name === 'FROM');
  if (fromAt < 0)
    throw dockerfileError(
      file,
      undefined,
      `has no FROM instruction (it must have "FROM \${${BASE_IMAGE_ARG}}")`,
    );
  const metaArgs = all.slice(0, fromAt);
  for (const m of metaArgs)
    if (m.name !== 'ARG')
      throw dockerfileError(file, m.line, `${m.name} before FROM: only ARG may come before FROM`);
  const from = all[fromAt] as Instruction;
  const words = splitWords(from.args).filter((w) => !w.startsWith('--'));
  const image = words[0] ?? '';
  if (image !== `\${${BASE_IMAGE_ARG}}` && image !== `$${BASE_IMAGE_ARG}`) {
    throw dockerfileError(
      file,
      from.line,
      `FROM must be "FROM \${${BASE_IMAGE_ARG}}" (found "FROM ${from.args}")`,
    );
  }
  if (words.length > 1)
    throw dockerfileError(file, from.line, 'FROM ... AS <stage> is not supported (single stage only)');
  const steps = all.slice(fromAt + 1);
  for (const s of steps) {
    if (s.name === 'FROM')
      throw dockerfileError(file, s.line, 'multi-stage builds are not permitted (only one FROM)');
    checkStep(file, s);
  }
  return { file, metaArgs, steps };
}
