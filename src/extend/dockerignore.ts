import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { dockerfileError } from './dockerfile-steps.ts';
import { BadPattern, globToken } from './go-glob.ts';

/**
 * `.dockerignore` (Dockerfile reference ".dockerignore file"), read as kaniko does for the reference:
 * `<Dockerfile>.dockerignore` beside the Dockerfile first, else `<context>/.dockerignore`. Excluded
 * paths are not in the build context: COPY and ADD neither match nor copy them (D-360).
 */

interface Rule {
  readonly text: string;
  readonly re: RegExp;
  /** Path components of the pattern: a parent directory of that depth may match it. */
  readonly depth: number;
  readonly exception: boolean;
}

/** The parsed rules of one `.dockerignore`. */
export interface IgnoreRules {
  readonly file: string;
  readonly rules: readonly Rule[];
}

/**
 * The RegExp of a cleaned pattern, as moby's patternmatcher compiles it (Dockerfile reference
 * ".dockerignore file": Go's `filepath.Match` rules plus `**`): `*` and `?` stop at `/`, `**` spans
 * directories, `\c` is `c`; a leading `**` followed by plain text matches any path ending with that
 * text (`**.log` matches `a.log` and `x/a.log`, D-411).
 */
function compile(pattern: string): RegExp {
  const cs = [...pattern];
  const plain = (from: number) => !cs.slice(from).some((c) => '*?[]\\'.includes(c));
  let re = '^';
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i] as string;
    if (c === '*' && cs[i + 1] === '*') {
      i++;
      if (cs[i + 1] === '/') i++;
      re += i + 1 >= cs.length || (i === 1 && plain(2)) ? '.*' : '(.*/)?';
    } else {
      const t = globToken(cs, i);
      re += t.re;
      i = t.end;
    }
  }
  return new RegExp(`${re}$`, 'u');
}

/**
 * Parses `.dockerignore` text as Docker's ignore-file reader: a UTF-8 BOM dropped, lines starting
 * with `#` are comments (before trimming), `!` makes an exception, patterns trimmed and cleaned, a
 * leading `/` dropped.
 * @throws LifecycleError (exit 102) naming the file and line of a malformed pattern, as `docker build`
 * fails on it (kaniko would drop every rule of the file, D-410).
 */
export function parseDockerignore(text: string, file: string): IgnoreRules {
  const rules: Rule[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [n, line] of lines.entries()) {
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const exception = p.startsWith('!');
    if (exception) p = p.slice(1).trim();
    if (exception && p === '')
      throw dockerfileError(file, n + 1, "'!' alone excludes nothing: name the path to re-include after it");
    p = posix.normalize(p).replace(/\/+$/, '');
    if (p.length > 1 && p.startsWith('/')) p = p.replace(/^\/+/, '');
    try {
      rules.push({ text: p, re: compile(p), depth: p.split('/').length, exception });
    } catch (e) {
      if (!(e instanceof BadPattern)) throw e;
      throw dockerfileError(
        file,
        n + 1,
        `syntax error in pattern '${line.trim()}': ${e.message} (escape a literal [, ], - or \\ with \\)`,
      );
    }
  }
  return { file, rules };
}

/** The rules for a Dockerfile and context, or undefined when there is no `.dockerignore`. */
export async function readDockerignore(
  dockerfile: string,
  context: string,
): Promise<IgnoreRules | undefined> {
  for (const file of [`${dockerfile}.dockerignore`, join(context, '.dockerignore')]) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return parseDockerignore(text, file);
  }
  return undefined;
}

/**
 * True when the context-relative `path` is excluded: the last matching rule wins, and a rule also
 * matches a path below a directory it matches (as Docker's pattern matcher).
 */
export function isExcluded(ignore: IgnoreRules | undefined, path: string): boolean {
  if (!ignore) return false;
  const p = posix.normalize(path).replace(/^\/+|\/+$/g, '');
  if (p === '.' || p === '') return false;
  const parents = posix.dirname(p) === '.' ? [] : posix.dirname(p).split('/');
  let excluded = false;
  for (const r of ignore.rules) {
    if (r.exception !== excluded) continue;
    let match = r.re.test(p);
    if (!match && parents.length > 0 && r.depth <= parents.length)
      match = r.re.test(parents.slice(0, r.depth).join('/'));
    if (match) excluded = !r.exception;
  }
  return excluded;
}

/** True when an exception rule may re-include something below the excluded directory `dir`. */
export function mayIncludeBelow(ignore: IgnoreRules | undefined, dir: string): boolean {
  return ignore?.rules.some((r) => r.exception && `${r.text}/`.startsWith(`${dir}/`)) ?? false;
}
