/**
 * Go's `filepath.Match` patterns as RegExp text (Dockerfile reference: COPY and ADD sources and
 * `.dockerignore` follow Go's filepath.Match rules; D-410): `*` and `?` stop at `/`, `\c` is `c`,
 * `[...]` classes negate with `^` only.
 */

/** A malformed pattern: Go's `filepath.Match` returns `ErrBadPattern`, and `docker build` fails. */
export class BadPattern extends Error {}

/** Characters with a meaning in a `u`-flag RegExp (and `-` in a class), escaped to mean themselves. */
const REGEXP_SYNTAX = new Set('\\^$.*+?()[]{}|/');
const lit = (c: string, inClass = false): string =>
  REGEXP_SYNTAX.has(c) || (inClass && c === '-') ? `\\${c}` : c;

/**
 * One character class of Go's `filepath.Match` from `cs[i]` (the `[`): `[^...]` negates and `[!...]`
 * does not (`!` is a member, D-410); members are characters, `\c` escapes and `lo-hi` ranges, at
 * least one, where an unescaped `-` or `]` cannot start a member. Returns the RegExp class and the
 * index of the closing `]`.
 */
function charClass(cs: readonly string[], i: number): { re: string; end: number } {
  let j = i + 1;
  const negated = cs[j] === '^';
  if (negated) j++;
  const member = (): string => {
    let c = cs[j];
    if (c === ']') throw new BadPattern('a [...] class needs a character before ]');
    if (c === '-') throw new BadPattern("a '-' in a [...] class must follow a character");
    if (c === '\\') c = cs[++j];
    if (c === undefined) throw new BadPattern('the [ has no closing ]');
    j++;
    return c;
  };
  let re = '';
  for (let n = 0; cs[j] !== ']' || n === 0; n++) {
    const lo = member();
    let hi = lo;
    if (cs[j] === '-') {
      j++;
      hi = member();
      if ((hi.codePointAt(0) as number) < (lo.codePointAt(0) as number))
        throw new BadPattern(`the range ${lo}-${hi} is out of order`);
    }
    re += hi === lo ? lit(lo, true) : `${lit(lo, true)}-${lit(hi, true)}`;
  }
  return { re: `[${negated ? '^' : ''}${re}]`, end: j };
}

/**
 * The RegExp text of the token at `cs[i]` (`*`, `?`, `\c`, a class or a character) and the index of
 * its last character.
 * @throws BadPattern for a trailing `\\` or a malformed class.
 */
export function globToken(cs: readonly string[], i: number): { re: string; end: number } {
  const c = cs[i] as string;
  if (c === '*') return { re: '[^/]*', end: i };
  if (c === '?') return { re: '[^/]', end: i };
  if (c === '[') return charClass(cs, i);
  if (c !== '\\') return { re: lit(c), end: i };
  if (i + 1 >= cs.length) throw new BadPattern('a trailing \\ escapes nothing');
  return { re: lit(cs[i + 1] as string), end: i + 1 };
}

/**
 * A RegExp for one path component matched as Go's `filepath.Match` does.
 * @throws BadPattern for a malformed pattern.
 */
export function componentRegExp(pattern: string): RegExp {
  const cs = [...pattern];
  let re = '';
  for (let i = 0; i < cs.length; i++) {
    const t = globToken(cs, i);
    re += t.re;
    i = t.end;
  }
  return new RegExp(`^${re}$`, 'u');
}
