import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidReference, parseReference, withDigest, withTag } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const cases: [string, string, string, string | undefined, string | undefined][] = [
    // input, registry, repository, tag, digest
    ['ubuntu', 'index.docker.io', 'library/ubuntu', 'latest', undefined],
    ['ubuntu:22.04', 'index.docker.io', 'library/ubuntu', '22.04', undefined],
    ['docker.io/ubuntu', 'index.docker.io', 'library/ubuntu', 'latest', undefined],
    ['docker.io/paketo/builder', 'index.docker.io', 'paketo/builder', 'latest', undefined],
    ['paketo/builder:base', 'index.docker.io', 'paketo/builder', 'base', undefined],
    ['gcr.io/proj/app', 'gcr.io', 'proj/app', 'latest', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    ['localhost:5000/a/b/c:v1', 'localhost:5000', 'a/b/c', 'v1', undefined],
    ['127.0.0.1:5000/app@' + D, '127.0.0.1:5000', 'app', undefined, D],
    ['127.0.0.1:5000/app:v1@' + D, '127.0.0.1:5000', 'app', 'v1', D],
    ['[::1]:5000/app', '[::1]:5000', 'app', 'latest', undefined],
    ['Registry.Example.com/a_b__c-d.e--f', 'Registry.Example.com', 'a_b__c-d.e--f', 'latest', undefined],
  ];
  for (const [input, registry, repository, tag, digest] of cases) {
    it(`parses ${input}`, () => {
      const r = parseReference(input);
      assert.equal(r.registry, registry);
      assert.equal(r.repository, repository);
      assert.equal(r.tag, tag);
      assert.equal(r.digest, digest);
      assert.equal(r.name, `${registry}/${repository}`);
      assert.equal(r.identifier, digest ?? tag);
      assert.equal(parseReference(r.toString()).toString(), r.toString());
    });
  }

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['UPPER/case', /lowercase/],
    ['app:', /not a valid tag/],
    ['app:-bad', /not a valid tag/],
    ['app@sha256:abc', /not a valid digest/],
    [`app@sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
    ['reg.io//app', /empty path component/],
    ['reg.io/app/', /empty path component/],
    ['a b', /whitespace/],
    ['-reg.io:5000/app', /registry host/],
    ['app__-x', /lowercase/],
    [`reg.io/${'a'.repeat(300)}`, /longer than 255/],
    ['http://reg.io/app', /./],
  ];
  for (const [input, msg] of bad) {
    it(`rejects ${JSON.stringify(input)} with a clear error`, () => {
      assert.equal(isValidReference(input), false);
      assert.throws(
        () => parseReference(input),
        (e: unknown) =>
          e instanceof Error &&
          (e as { code?: string }).code === 'ERR_IMAGE_REFERENCE' &&
          msg.test(e.message) &&
          e.message.includes('expected [registry[:port]/]repository'),
      );
    });
  }

  it('withTag / withDigest re-point a reference', () => {
    const r = parseReference('127.0.0.1:5000/app:v1');
    assert.equal(withTag(r, 'v2').toString(), '127.0.0.1:5000/app:v2');
    assert.equal(withDigest(r, D).toString(), `127.0.0.1:5000/app@${D}`);
    assert.throws(() => withTag(r, '.bad'), /not a valid tag/);
  });
});
