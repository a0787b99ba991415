import { isUtf8 } from 'node:buffer';
import { LifecycleError } from './errors.ts';

/**
 * Bounds for what the lifecycle parses (D-215): nesting depth, strict UTF-8, size. Parsers of JSON
 * (labels, configs) and TOML both go through these, so a hostile or broken input is a clear error
 * naming the file or label, never a stack overflow or a runaway allocation.
 */

/**
 * Deepest nesting of arrays/objects read from JSON or TOML. Go's encoding/json stops at 10000; real
 * labels and TOML files nest a few levels. TOML input is held to {@link MAX_TOML_DEPTH}, below this,
 * so every label the lifecycle writes from TOML (wrapped a few levels deeper) stays readable.
 */
export const MAX_JSON_DEPTH = 1000;

/** Deepest nesting accepted in TOML input (D-215; smol-toml's own inline limit is 1000). */
export const MAX_TOML_DEPTH = 500;

/** True when `value` nests arrays/objects more than `max` levels deep (iterative: any depth is safe). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object' || v instanceof Date) continue;
    if (d + 1 > max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) {
      if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
    }
  }
  return false;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (x === undefined || x < min || x > max) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column (in bytes) of the first byte that is not valid UTF-8, or undefined. */
export function invalidUtf8At(bytes: Uint8Array): { line: number; column: number } | undefined {
  if (isUtf8(bytes)) return undefined;
  const at = firstInvalidUtf8(bytes);
  if (at < 0) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/** Decodes UTF-8 bytes strictly: invalid bytes are an error naming `file`, line and column (D-215). */
export function decodeUtf8Strict(bytes: Uint8Array, file: string, what = 'TOML'): string {
  const at = invalidUtf8At(bytes);
  if (at !== undefined)
    throw new LifecycleError(
      'ERR_INVALID_UTF8',
      'failed',
      `${file}:${at.line}:${at.column}: invalid UTF-8 byte sequence; ${what} files must be UTF-8 — re-encode this file`,
    );
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Limits for {@link parseBoundedJson}. */
export interface JsonBounds {
  /** Deepest nesting; default {@link MAX_JSON_DEPTH}. */
  readonly maxDepth?: number;
  /** Largest input in bytes (UTF-8); default no limit beyond the caller's own read limit. */
  readonly maxBytes?: number;
}

/**
 * Parses JSON with bounded nesting and size. `what` names the input in errors (e.g. `label
 * io.buildpacks.lifecycle.metadata of image app:v1`); errors are LifecycleError `ERR_JSON_INVALID`
 * with the generic exit code (phases wrap them in their own).
 */
export function parseBoundedJson(input: string | Uint8Array, what: string, bounds: JsonBounds = {}): unknown {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bounds.maxBytes !== undefined && size > bounds.maxBytes)
    throw new LifecycleError(
      'ERR_JSON_INVALID',
      'failed',
      `${what} is ${size} bytes, more than the limit of ${bounds.maxBytes} bytes`,
    );
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new LifecycleError(
      'ERR_JSON_INVALID',
      'failed',
      `${what} is not valid JSON (${(e as Error).message})`,
    );
  }
  const max = bounds.maxDepth ?? MAX_JSON_DEPTH;
  if (nestsDeeperThan(v, max))
    throw new LifecycleError(
      'ERR_JSON_INVALID',
      'failed',
      `${what} nests arrays/objects more than ${max} levels deep`,
    );
  return v;
}
