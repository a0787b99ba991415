import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { parseDigest, verifyDigest } from './verify.ts';

const data = Buffer.from('some blob bytes\n');
const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
const chunks = () => Readable.from([data.subarray(0, 5), data.subarray(5)]);

describe('verifyDigest', () => {
  it('passes matching bytes through unchanged', async () => {
    assert.deepEqual(await buffer(verifyDigest(chunks(), digest, data.length)), data);
    assert.deepEqual(await buffer(verifyDigest(chunks(), digest)), data);
  });

  it('errors at the end when the digest does not match', async () => {
    const wrong = `sha256:${'1'.repeat(64)}`;
    await assert.rejects(buffer(verifyDigest(chunks(), wrong, undefined, 'blob x')), {
      name: 'LifecycleError',
      code: 'ERR_DIGEST_MISMATCH',
      message: `expected blob x to have SHA '${wrong}'; found '${digest}'`,
    });
  });

  it('errors on too many or too few bytes', async () => {
    await assert.rejects(buffer(verifyDigest(chunks(), digest, 3)), {
      code: 'ERR_SIZE_MISMATCH',
      message: /3 bytes; found more/,
    });
    await assert.rejects(buffer(verifyDigest(chunks(), digest, 100)), {
      code: 'ERR_SIZE_MISMATCH',
      message: /found 16/,
    });
  });

  it('forwards source errors and supports sha512', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(buffer(verifyDigest(failing, digest)), /connection reset/);
    const d512 = `sha512:${createHash('sha512').update(data).digest('hex')}`;
    assert.deepEqual(await buffer(verifyDigest(chunks(), d512)), data);
  });

  it('rejects malformed digests', () => {
    assert.throws(() => parseDigest('sha256:abc'), { code: 'ERR_DIGEST_INVALID' });
    assert.throws(() => parseDigest('md5:00'), /invalid digest 'md5:00'/);
    assert.throws(() => verifyDigest(chunks(), 'nope'), /invalid digest/);
    assert.deepEqual(parseDigest(digest), { algorithm: 'sha256', hex: digest.slice(7) });
  });
});
