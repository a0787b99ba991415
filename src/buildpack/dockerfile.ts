import { LifecycleError, type Logger } from '../platform/index.ts';

/** One Dockerfile instruction (continuation lines joined). */
export interface Instruction {
  /** Upper-cased keyword, e.g. `FROM`. */
  readonly name: string;
  readonly args: string;
  /** 1-based line of the keyword. */
  readonly line: number;
  /** Heredoc bodies after a RUN, COPY or ADD line, in the order of their `<<` markers. */
  readonly heredocs?: readonly Heredoc[];
}

/**
 * A heredoc (Dockerfile reference "Here-Documents"): `<<NAME`, `<<-NAME` (leading tabs removed from
 * the body and terminator) or `<<"NAME"`/`<<'NAME'` (not expanded), on a RUN, COPY or ADD line.
 */
export interface Heredoc {
  readonly name: string;
  /** The body lines, each ending in a newline. */
  readonly data: string;
  /** Unquoted name: the body may be expanded. */
  readonly expand: boolean;
  /** False when the file ended before the terminator line. */
  readonly terminated: boolean;
}

/** Instructions whose heredocs Docker's parser reads (Dockerfile reference "Here-Documents"). */
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

/** A heredoc marker at the start of a word: `[fd]<<[-]NAME`, NAME optionally in single or double quotes. */
const HEREDOC_MARKER = /\d*<<(-?)(?:"([^"\s]+)"|'([^'\s]+)'|([^\s"'<>|;&()]+))/y;

/**
 * The heredoc markers of an instruction's arguments: words that start with a marker, outside quotes —
 * BuildKit splits the line into shell words (quotes kept) and reads a heredoc only from a word that
 * begins with `<<`, so `echo "a <<b"` has none.
 */
function heredocMarkers(line: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let wordStart = true;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      wordStart = true;
      i++;
      continue;
    }
    if (wordStart) {
      HEREDOC_MARKER.lastIndex = i;
      const m = HEREDOC_MARKER.exec(line);
      wordStart = false;
      if (m) {
        out.push(m);
        i = HEREDOC_MARKER.lastIndex;
        continue;
      }
    }
    if (c === '\\') i += 2;
    else if (c === "'") i = closing(line, i, "'");
    else if (c === '"') i = closing(line, i, '"');
    else i++;
  }
  return out;
}

/** The index after the quote closing the one at `at` (`\` escapes inside double quotes). */
function closing(line: string, at: number, quote: string): number {
  let j = at + 1;
  while (j < line.length && line[j] !== quote) j += quote === '"' && line[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** The name when `word` is exactly one heredoc marker (a COPY/ADD source, a RUN that is only a script). */
export function heredocMarkerName(word: string): string | undefined {
  const m = /^\d*<<-?(?:"([^"\s]+)"|'([^'\s]+)'|([^\s"'<>|;&()]+))$/.exec(word.trim());
  return m ? ((m[1] ?? m[2] ?? m[3]) as string) : undefined;
}

function readHeredocs(line: string, lines: readonly string[], at: number): { docs: Heredoc[]; next: number } {
  const docs: Heredoc[] = [];
  let i = at;
  for (const m of heredocMarkers(line)) {
    const chomp = m[1] === '-';
    const name = (m[2] ?? m[3] ?? m[4]) as string;
    const body: string[] = [];
    let terminated = false;
    while (i < lines.length) {
      const raw = lines[i++] ?? '';
      const l = chomp ? raw.replace(/^\t+/, '') : raw;
      if (l === name) {
        terminated = true;
        break;
      }
      body.push(`${l}\n`);
    }
    docs.push({ name, data: body.join(''), expand: m[4] !== undefined, terminated });
  }
  return { docs, next: i };
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
 * joined, the heredoc bodies after a RUN, COPY or ADD line attached to it.
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
    if (!m?.[1]) continue;
    const name = m[1].toUpperCase();
    const args = (m[2] ?? '').trim();
    const { docs, next } = HEREDOC_INSTRUCTIONS.has(name)
      ? readHeredocs(args, lines, i)
      : { docs: [], next: i };
    i = next;
    out.push({ name, args, line: start + 1, ...(docs.length > 0 ? { heredocs: docs } : {}) });
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
