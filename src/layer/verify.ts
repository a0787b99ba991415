import { createHash, type Hash } from 'node:crypto';
import { pipeline, type Readable, Transform } from 'node:stream';
import { LifecycleError } from '../platform/index.ts';

const ALGORITHMS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** Split and validate an OCI digest (`sha256:<64 hex>` or `sha512:<128 hex>`). */
export function parseDigest(digest: string): { readonly algorithm: string; readonly hex: string } {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = ALGORITHMS[algorithm];
  if (i < 0 || len === undefined || hex.length !== len || !/^[0-9a-f]+$/.test(hex)) {
    throw new LifecycleError('ERR_DIGEST_INVALID', 'failed', `invalid digest '${digest}'`);
  }
  return { algorithm, hex };
}

/** A running digest of streamed bytes, in `<algorithm>:<hex>` form. */
export class Digester {
  readonly algorithm: string;
  private readonly hash: Hash;
  /** Bytes seen so far. */
  size = 0;

  constructor(algorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.byteLength;
  }

  /** The final digest (call once). */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/** The error for bytes that do not match what was expected (message names what, expected and found). */
export function digestMismatch(what: string, expected: string, found: string): LifecycleError {
  return new LifecycleError(
    'ERR_DIGEST_MISMATCH',
    'failed',
    `expected ${what} to have SHA '${expected}'; found '${found}'`,
  );
}

function sizeMismatch(what: string, expected: number, found: string): LifecycleError {
  return new LifecycleError(
    'ERR_SIZE_MISMATCH',
    'failed',
    `expected ${what} to be ${expected} bytes; found ${found}`,
  );
}

/**
 * Pass `stream` through unchanged while hashing it; the returned stream errors (instead of ending) when
 * the bytes do not match `expectedDigest`, or as soon as they exceed `expectedSize`. Errors of `stream`
 * are forwarded. Reuse for every blob read (DESIGN.md "Style" 5).
 */
export function verifyDigest(
  stream: Readable,
  expectedDigest: string,
  expectedSize?: number,
  what = 'blob',
): Readable {
  const { algorithm } = parseDigest(expectedDigest);
  const d = new Digester(algorithm);
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      d.update(chunk);
      if (expectedSize !== undefined && d.size > expectedSize) {
        cb(sizeMismatch(what, expectedSize, `more`));
        return;
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (expectedSize !== undefined && d.size !== expectedSize) {
        cb(sizeMismatch(what, expectedSize, String(d.size)));
        return;
      }
      const found = d.digest();
      cb(found === expectedDigest ? null : digestMismatch(what, expectedDigest, found));
    },
  });
  return pipeline(stream, check, () => {});
}
