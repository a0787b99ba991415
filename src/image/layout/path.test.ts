import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../../platform/index.ts';
import { layoutIdentifier, layoutPath } from './path.ts';

const digest = `sha256:${'a'.repeat(64)}`;

// platform.md "Map an image reference to a path in the layout directory"
describe('layoutPath', () => {
  const cases: [string, string][] = [
    ['my-registry.io/my-repo/my-image:1.0', '/layout/my-registry.io/my-repo/my-image/1.0'],
    ['localhost:5000/app', '/layout/localhost:5000/app/latest'],
    ['busybox', '/layout/index.docker.io/library/busybox/latest'],
    ['cnbs/sample:bionic', '/layout/index.docker.io/cnbs/sample/bionic'],
    [`registry.io/org/app@${digest}`, `/layout/registry.io/org/app/sha256/${'a'.repeat(64)}`],
    [`registry.io/org/app:v1@${digest}`, `/layout/registry.io/org/app/sha256/${'a'.repeat(64)}`],
  ];
  for (const [ref, want] of cases) {
    it(`${ref} → ${want}`, () => assert.equal(layoutPath('/layout', ref), want));
  }

  it('rejects invalid references with a reference error', () => {
    assert.throws(
      () => layoutPath('/layout', 'UPPER/case'),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_IMAGE_REFERENCE',
    );
  });

  it('identifies an image as <path>@<digest>', () => {
    assert.equal(layoutIdentifier('/l/x', digest), `/l/x@${digest}`);
  });
});
