// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
/**
 * Dockerfile word processing (Dockerfile reference "Environment replacement"): quotes, backslash
 * escapes and `$var` / `${var}` / `${var:-word}` / `${var:+word}` expansion, as Docker's shell-word
 * lexer does for ADD, COPY, ENV, LABEL, USER, WORKDIR, ARG and FROM. RUN is not processed: its shell
 * expands variables from the environment.
 */

/** Variables visible to a word: ENV values and declared ARGs. */
export type Vars = ReadonlyMap<string, string>;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Error thrown for a malformed word (the caller names the file and line). */
export class WordError extends Error {}

function readBraced(s: string, start: number, vars: Vars): { value: string; end: number } {
  // s[start] is just after "${"
  let i = start;
  let name = '';
  while (i < s.length && NAME_CHAR.test(s[i] ?? '')) name += s[i++];
  if (name === '') throw new WordError(`bad substitution in '${s}'`);
  const c = s[i];
  if (c === '}') return { value: vars.get(name) ?? '', end: i + 1 };
  if (c !== ':' && c !== '-' && c !== '+') throw new WordError(`bad substitution in '${s}'`);
  const colon = c === ':';
  const op = colon ? s[i + 1] : c;
  if (op !== '-' && op !== '+') throw new WordError(`unsupported modifier in '${s}' (only :- and :+)`);
  i += colon ? 2 : 1;
  // the word runs to the matching brace; it is processed itself
  let depth = 1;
  let j = i;
  while (j < s.length && depth > 0) {
    if (s[j] === '\\') j++;
    else if (s[j] === '{') depth++;
    else if (s[j] === '}') depth--;
    if (depth > 0) j++;
  }
  if (depth !== 0) throw new WordError(`missing '}' in '${s}'`);
  const word = processWord(s.slice(i, j), vars);
  const set = vars.has(name) && (!colon || (vars.get(name) ?? '') !== '');
  const value = op === '-' ? (set ? (vars.get(name) ?? '') : word) : set ? word : '';
  return { value, end: j + 1 };
}

function readVar(s: string, i: number, vars: Vars): { value: string; end: number } {
  // s[i] === '$'
  const next = s[i + 1];
  if (next === '{') return readBraced(s, i + 2, vars);
  if (next !== undefined && NAME_START.test(next)) {
    let j = i + 1;
    let name = '';
    while (j < s.length && NAME_CHAR.test(s[j] ?? '')) name += s[j++];
    return { value: vars.get(name) ?? '', end: j };
  }
  return { value: '$', end: i + 1 };
}

/** One word with quotes removed, escapes applied and variables expanded. */
export function processWord(s: string, vars: Vars): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new WordError(`unmatched single quote in '${s}'`);
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new WordError(`unmatched double quote in '${s}'`);
        const d = s[i] as string;
        if (d === '"') break;
        if (d === '\\' && i + 1 < s.length && '"\\$'.includes(s[i + 1] as string)) {
          out += s[i + 1];
          i += 2;
        } else if (d === '$') {
          const v = readVar(s, i, vars);
          out += v.value;
          i = v.end;
        } else {
          out += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\' && i + 1 < s.length) {
      out += s[i + 1];
      i += 2;
    } else if (c === '$') {
      const v = readVar(s, i, vars);
      out += v.value;
      i = v.end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Splits at unquoted, unescaped whitespace; the pieces keep their quotes (process them after). */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote !== undefined) {
      cur += c;
      if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else if (c === quote) quote = undefined;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
      started = true;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (quote !== undefined) throw new WordError(`unmatched ${quote === '"' ? 'double' : 'single'} quote`);
  if (started) out.push(cur);
  return out;
}

/**
 * `key=value ...` pairs (ENV, LABEL, ARG), or the legacy `KEY value with spaces` form when the first
 * word has no `=` and `legacy` is allowed. Keys and values are processed words.
 */
export function parsePairs(args: string, vars: Vars, legacy: boolean): [string, string][] {
  const words = splitWords(args);
  const first = words[0];
  if (first === undefined) throw new WordError('needs at least one argument');
  if (legacy && !first.includes('=')) {
    const key = processWord(first, vars);
    const rest = args.trim().slice(first.length).trim();
    if (rest === '') throw new WordError(`'${key}' needs a value (KEY=VALUE or KEY VALUE)`);
    return [[key, processWord(rest, vars)]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new WordError(`'${w}' is not of the form KEY=VALUE`);
    return [processWord(w.slice(0, eq), vars), processWord(w.slice(eq + 1), vars)];
  });
}

/** The JSON-array (exec) form of an instruction's arguments, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: Docker treats it as the shell form
  }
  return undefined;
}
