import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonBytes, sha256Digest, stableJson, stableStringify } from './json.ts';

describe('stableStringify', () => {
  it('sorts keys at every depth and keeps array order', () => {
    const a = stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } });
    assert.equal(a, '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives equal bytes for objects built in different orders', () => {
    const x = { schemaVersion: 2, config: { size: 1, digest: 'd' }, layers: [] };
    const y = { layers: [], config: { digest: 'd', size: 1 }, schemaVersion: 2 };
    assert.deepEqual(stableJson(x), stableJson(y));
    assert.equal(sha256Digest(stableJson(x)), sha256Digest(stableJson(y)));
  });

  it('drops undefined members, writes null in arrays, escapes strings like JSON', () => {
    assert.equal(stableStringify({ a: undefined, b: [undefined], c: 'q"\n' }), '{"b":[null],"c":"q\\"\\n"}');
  });

  it('round-trips through parseJsonBytes and names the blob on bad JSON', () => {
    const v = { k: ['v'] };
    assert.deepEqual(parseJsonBytes(stableJson(v), 'config'), v);
    assert.throws(
      () => parseJsonBytes(new TextEncoder().encode('{'), 'config blob sha256:x'),
      /config blob sha256:x/,
    );
  });

  it('hashes as sha256:<hex>', () => {
    assert.equal(sha256Digest(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
