import { createHash } from 'node:crypto';
import { parseBoundedJson } from '../platform/index.ts';

/**
 * Deterministic JSON for manifests, configs and indexes (platform.md "Build Reproducibility"):
 * object keys sorted by UTF-16 code unit order at every depth, no whitespace, `undefined` members
 * dropped (like `JSON.stringify`). Equal values give equal bytes, hence equal digests.
 */
export function stableStringify(value: unknown): string {
  const out = stringifyValue(value);
  if (out === undefined) throw new TypeError('stableStringify: value is not representable as JSON');
  return out;
}

/** {@link stableStringify} as UTF-8 bytes. */
export function stableJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(stableStringify(value));
}

/** `sha256:<hex>` of the given bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Parses JSON bytes (UTF-8) with bounded nesting (D-215) and returns the value; `what` names the blob
 * in the error (a LifecycleError `ERR_JSON_INVALID`).
 */
export function parseJsonBytes<T>(bytes: Uint8Array, what: string): T {
  return parseBoundedJson(bytes, what) as T;
}

function stringifyValue(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  const withToJSON = value as { toJSON?: () => unknown };
  if (typeof withToJSON.toJSON === 'function') return stringifyValue(withToJSON.toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((v) => stringifyValue(v) ?? 'null').join(',')}]`;
  }
  if (value instanceof Uint8Array) throw new TypeError('stableStringify: binary data is not JSON');
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = stringifyValue(obj[key]);
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}
