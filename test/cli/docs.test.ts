import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { phaseDoc } from '../../scripts/gen-docs.ts';
import { PHASES } from '../../src/platform/index.ts';

describe('docs/phases pages match the inputs table', () => {
  for (const phase of PHASES) {
    it(`docs/phases/${phase}.md is current (run: node --import tsx scripts/gen-docs.ts)`, () => {
      const file = join(import.meta.dirname, '..', '..', 'docs', 'phases', `${phase}.md`);
      assert.equal(readFileSync(file, 'utf8'), phaseDoc(phase));
    });
  }
});
