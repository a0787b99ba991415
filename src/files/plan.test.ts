// plan.toml (platform.md "plan.toml"; docs/reference-behaviour.md §0.10: an empty plan is a 0-byte file).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planToTomlText, readPlan, writePlan } from './plan.ts';

describe('plan.toml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plan-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('an empty plan is written as an empty file and reads back empty', async () => {
    assert.equal(planToTomlText({ entries: [] }), '');
    await writePlan(join(dir, 'empty.toml'), { entries: [] });
    assert.equal(await readFile(join(dir, 'empty.toml'), 'utf8'), '');
    assert.deepEqual(await readPlan(join(dir, 'empty.toml')), { entries: [] });
  });

  it('round-trips providers (extension only when true) and requires with metadata', async () => {
    const plan = {
      entries: [
        {
          providers: [
            { id: 'a', version: '1' },
            { id: 'e', version: '2', extension: true },
          ],
          requires: [{ name: 'node', metadata: { version: '20', nested: { x: 1 } } }, { name: 'node' }],
        },
      ],
    };
    const file = join(dir, 'plan.toml');
    await writePlan(file, plan);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\[\[entries\]\]\n\[\[entries\.providers\]\]\nid = "a"\nversion = "1"\n/);
    assert.match(text, /extension = true/);
    assert.deepEqual(JSON.parse(JSON.stringify(await readPlan(file))), plan);
  });

  it('errors name the file and key', async () => {
    await assert.rejects(
      () => readPlan(join(dir, 'missing.toml')),
      /failed to read plan file .*missing\.toml/,
    );
    await writeFile(join(dir, 'bad.toml'), '[[entries]]\n[[entries.requires]]\nmetadata = {}\n');
    await assert.rejects(
      () => readPlan(join(dir, 'bad.toml')),
      /bad\.toml: entries\[0\]\.requires\[0\]\.name: is required/,
    );
  });
});
