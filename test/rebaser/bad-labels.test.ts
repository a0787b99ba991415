import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIFECYCLE_METADATA_LABEL } from '../../src/files/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { push, runImage } from './fixtures.ts';

/**
 * Black box (issue 9 item 5, D-215): an app image whose lifecycle metadata label is malformed or nested
 * 1k-100k deep makes the built rebaser exit 72 naming the label and the image, without a stack trace.
 */
describe('rebaser: unreadable io.buildpacks.lifecycle.metadata labels', () => {
  let reg: RegistryHandle;
  let tmp: string;
  before(async () => {
    reg = await startRegistry();
    tmp = await mkdtemp(join(tmpdir(), 'rebaser-labels-'));
  });
  after(async () => {
    await Promise.all([reg?.stop(), rm(tmp, { recursive: true, force: true })]);
    await cleanupFixtures();
  });

  const nested = (n: number) =>
    `{"runImage":{"topLayer":"sha256:${'1'.repeat(64)}","reference":"x"},"buildpacks":[{"key":"a","version":"1","layers":{"l":{"data":${'['.repeat(n)}${']'.repeat(n)}}}}]}`;
  const cases: [string, string, RegExp][] = [
    ['invalid JSON', '{"runImage": {', /is not valid JSON/],
    ['nested 1,001 deep', nested(1001), /nests arrays\/objects more than 1000 levels deep/],
    ['nested 100,000 deep', nested(100_000), /nests arrays\/objects more than 1000 levels deep/],
  ];
  let n = 0;
  for (const [name, label, why] of cases) {
    it(`${name}: exit 72 naming the label and the image`, async () => {
      const ref = `${reg.host}/bad-label/app${++n}:1`;
      await push(ref, await runImage(`bad${n}`, { [LIFECYCLE_METADATA_LABEL]: label }));
      const r = await runPhase('rebaser', ['-report', join(tmp, 'report.toml'), ref], {
        CNB_PLATFORM_API: '0.12',
      });
      assert.equal(r.code, 72, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`label ${LIFECYCLE_METADATA_LABEL.replaceAll('.', '\\.')} of image ${ref}`),
      );
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /Maximum call stack|\n\s+at /);
    });
  }
});
