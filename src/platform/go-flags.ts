import { LifecycleError } from './errors.ts';

/**
 * A parser for Go's `flag` package syntax, exactly as platforms send it to the reference lifecycle:
 * `-flag value`, `-flag=value`, `--flag` (one or two dashes), boolean flags (`-daemon`,
 * `-daemon=false`; a boolean never consumes the next argument), repeatable flags (`-tag a -tag b`),
 * and positional arguments after the flags. Parsing stops at the first non-flag argument, at `--`
 * (consumed) or at a lone `-` (kept as positional), as Go does. Empty values are kept as `''`, for
 * every kind; the resolver treats them as not given (docs/decisions.md D-270).
 */
export type FlagKind = 'string' | 'bool' | 'int' | 'list' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
}

export interface ParsedFlags {
  /** Flag name → value as given (list flags collect every occurrence). */
  readonly values: ReadonlyMap<string, string | boolean | readonly string[]>;
  readonly positionals: readonly string[];
  /** True when -h / -help was given. */
  readonly help: boolean;
  /** True when -version was given (any position among the flags). */
  readonly version: boolean;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function invalid(message: string): LifecycleError {
  return new LifecycleError('ERR_FLAG_PARSE', 'flagParse', message);
}

/**
 * Parses `args` (without argv[0]) against the phase's flag specs. Throws exit code 2 on bad syntax, as
 * Go's flag package does in the reference (docs/reference-behaviour.md §0.4).
 */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | boolean | string[]>();
  let help = false;
  let version = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || arg[0] !== '-') break;
    let body = arg.slice(1);
    if (body[0] === '-') {
      body = body.slice(1);
      if (body === '') {
        i++; // "--" terminates the flags
        break;
      }
    }
    if (body === '' || body[0] === '-' || body[0] === '=') throw invalid(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    if (name === 'version' && inline === '') continue; // not given (D-270)
    if (name === 'version' && (inline === undefined || parseGoBool(inline) === true)) {
      version = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) throw invalid(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      // An empty value (`-skip-layers=`) is kept as '' for the resolver: not given (D-270).
      if (inline === '') {
        values.set(name, '');
        continue;
      }
      const v = inline === undefined ? true : parseGoBool(inline);
      if (v === undefined) throw invalid(`invalid boolean value "${inline}" for -${name}: use true or false`);
      values.set(name, v);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw invalid(`flag needs an argument: -${name}`);
      value = args[++i]!;
    }
    if (spec.kind === 'int' && value !== '' && !/^[+-]?\d+$/.test(value))
      throw invalid(`invalid value "${value}" for flag -${name}: expected an integer`);
    if (spec.kind === 'list') {
      const prev = values.get(name);
      values.set(name, [...(Array.isArray(prev) ? prev : []), value]);
    } else {
      values.set(name, value);
    }
  }
  return { values, positionals: args.slice(i), help, version };
}
