import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../platform/index.ts';
import { logSavedImages } from './export-report.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const id = `${'cd'.repeat(32)}`;

// The reference's save step prints these lines; tools read the id of `*** Images (<id>):`.
describe('logSavedImages (docs/reference-behaviour.md §6 "Save and report")', () => {
  it('registry: the full manifest digest, one header for every name, Digest and Manifest Size at debug', () => {
    const log = memoryLogger('debug');
    const w = { digest, manifestSize: 1234, identifier: `r.io/app@${digest}` };
    logSavedImages(log, 'registry', [{ name: 'r.io/app' }, { name: 'r.io/app:v1', failed: 'denied' }], w, '');
    assert.deepEqual(log.lines, [
      `info: *** Images (${digest}):`,
      'info:       r.io/app',
      'info:       r.io/app:v1 - denied',
      `debug: *** Digest: ${digest}`,
      'debug: *** Manifest Size: 1234',
    ]);
  });

  it("daemon: the image ID's first 12 hex digits, the whole ID at debug", () => {
    const log = memoryLogger('info');
    logSavedImages(log, 'daemon', [{ name: 'app' }], { imageId: id, identifier: id }, '');
    assert.deepEqual(log.lines, ['info: *** Images (cdcdcdcdcdcd):', 'info:       app']);
    const debug = memoryLogger('debug');
    logSavedImages(debug, 'daemon', [{ name: 'app' }], { imageId: id, identifier: id }, '');
    assert.equal(debug.lines.at(-1), `debug: *** Image ID: ${id}`);
  });

  it('layout: <path>@<digest>; nothing saved: the digest the image would have', () => {
    const log = memoryLogger('info');
    const w = { digest, manifestSize: 9, identifier: `/layout/app@${digest}` };
    logSavedImages(log, 'layout', [{ name: '/layout/app' }], w, '');
    assert.equal(log.lines[0], `info: *** Images (/layout/app@${digest}):`);
    const none = memoryLogger('debug');
    logSavedImages(none, 'registry', [{ name: 'r.io/app', failed: 'denied' }], undefined, digest);
    assert.deepEqual(none.lines, [`info: *** Images (${digest}):`, 'info:       r.io/app - denied']);
  });
});
