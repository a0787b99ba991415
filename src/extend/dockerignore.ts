import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

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

function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+()|{}$^]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Parses `.dockerignore` text: `#` comments, `!` exceptions, patterns cleaned, leading `/` dropped. */
export function parseDockerignore(text: string, file: string): IgnoreRules {
  const rules: Rule[] = [];
  for (const line of text.split(/\r?\n/)) {
    let p = line.trim();
    if (p === '' || p.startsWith('#')) continue;
    const exception = p.startsWith('!');
    if (exception) p = p.slice(1).trim();
    if (p === '') continue;
    p = posix.normalize(p).replace(/\/+$/, '');
    if (p.length > 1 && p.startsWith('/')) p = p.replace(/^\/+/, '');
    rules.push({ text: p, re: compile(p), depth: p.split('/').length, exception });
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
