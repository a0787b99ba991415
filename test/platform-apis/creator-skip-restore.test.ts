// The creator's -skip-restore per Platform API (D-315): platform-0.9.md "creator" ("SHALL skip sbom layer
// restoration and skip the entire Restore phase") versus platform-0.10.md "creator" ("SHALL skip the
// restoration of any data to each buildpack's layers directory, with the exception of `store.toml`").
// A real registry and a cache dir.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { creatorFlags, ok, phase } from '../e2e/helpers.ts';
import { creatorWorld } from './helpers.ts';

describe('creator -skip-restore per Platform API (D-315)', () => {
  const world = creatorWorld();

  /** Builds at `api` twice with a cache dir, then rebuilds with -skip-restore; the last build's stdout. */
  async function rebuildSkipping(api: string): Promise<string> {
    const ws = await world.space(`apis-skip-${api}-`);
    // stack.toml before 0.12 (platform-0.11.md "stack.toml").
    await writeFile(join(ws.root, 'stack.toml'), `[run-image]\nimage = "${world.runImage()}"\n`);
    const app = `${world.host()}/apis/skip-${api}:latest`;
    const create = async (extra: string[]) => {
      await ws.fresh();
      const args = [
        ...(await creatorFlags(ws)),
        '-stack',
        join(ws.root, 'stack.toml'),
        '-cache-dir',
        ws.cache,
        ...extra,
        app,
      ];
      return ok(await phase('creator', args, ws.env({ CNB_PLATFORM_API: api }))).stdout;
    };
    await create([]);
    // Without -skip-restore the cache gives the runtime layer back (so the check below is not vacuous).
    assert.match(await create(['-previous-image', app]), /runtime layer restored from cache/);
    return create(['-skip-restore', '-previous-image', app]);
  }

  it('0.9: no restore phase, store.toml is not restored', async () => {
    const out = await rebuildSkipping('0.9');
    assert.doesNotMatch(out, /===> RESTORING/);
    assert.doesNotMatch(out, /store\.toml restored/);
  });

  it('0.10: the restore phase runs; store.toml comes back, layer data does not', async () => {
    const out = await rebuildSkipping('0.10');
    assert.match(out, /===> RESTORING/);
    assert.match(out, /e2e: store\.toml restored: builds = 2/);
    assert.doesNotMatch(out, /runtime layer restored from cache/);
  });
});
