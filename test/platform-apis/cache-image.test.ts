// The cache image a build replaces (D-313): before Platform API 0.13 the exporter deletes the previous
// cache image when the new one differs, as the reference (`initCache(..., LessThan("0.13"))`); from 0.13
// it is kept (PLATFORM-API-VERSIONS.md §3 "LC-only"; the spec texts are silent). Two creator builds per
// version against a real registry; the e2e runtime's cache-only `deps` layer records its build number,
// so the second cache image differs from the first.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { remote } from '../../src/image/index.ts';
import { creatorFlags, ok, phase } from '../e2e/helpers.ts';
import { creatorWorld } from './helpers.ts';

describe('the replaced cache image per Platform API (D-313)', () => {
  const world = creatorWorld();

  /** Builds twice at `api` with one cache image; returns the cache digests and whether the first remains. */
  async function twice(api: string) {
    const ws = await world.space(`apis-cache-${api}-`);
    await writeFile(join(ws.root, 'run.toml'), `[[images]]\nimage = "${world.runImage()}"\n`);
    const app = `${world.host()}/apis/app-${api}:latest`;
    const cache = `${world.host()}/apis/cache-${api}:latest`;
    const build = async () => {
      await ws.fresh();
      const args = [...(await creatorFlags(ws)), '-run', join(ws.root, 'run.toml'), '-cache-image', cache];
      ok(await phase('creator', [...args, '-previous-image', app, app], ws.env({ CNB_PLATFORM_API: api })));
      return (await remote.head(cache))!.digest;
    };
    const first = await build();
    const second = await build();
    const repo = `${world.host()}/apis/cache-${api}`;
    return { first, second, firstKept: (await remote.head(`${repo}@${first}`)) !== undefined };
  }

  it('0.12: the first cache image is deleted once the second replaces it', async () => {
    const r = await twice('0.12');
    assert.notEqual(r.first, r.second);
    assert.equal(r.firstKept, false);
  });

  it('0.13: the first cache image stays in the registry', async () => {
    const r = await twice('0.13');
    assert.notEqual(r.first, r.second);
    assert.equal(r.firstKept, true);
  });
});
