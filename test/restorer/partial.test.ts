import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCache } from '../../src/cache/index.ts';
import { remote } from '../../src/image/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { BP, BP_DIR, type Scenario, standardScenario } from './fixture.ts';
import { addDirLayer, cacheMeta, lm } from './helpers.ts';

/**
 * A restore that fails part-way leaves no layer half there (issue 9 item 3; D-230): the layer's
 * directory, its temporary extraction directory and its `<layer>.toml` are all gone, so a later builder
 * cannot take it as restored.
 */
const ENV = { CNB_PLATFORM_API: '0.12' };
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});
async function scenario(): Promise<Scenario> {
  const s = await standardScenario();
  roots.push(s.root);
  return s;
}

/** Random (incompressible) files, `count` of `size` bytes each. */
function randomFiles(count: number, size: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`part/f${i}.bin`] = randomBytes(size / 2).toString('hex');
  return files;
}

/** What is left of layer `name` in the buildpack directory: its directory, metadata and temporaries. */
async function leftovers(bpDir: string, name: string): Promise<string[]> {
  const all = await readdir(bpDir).catch(() => [] as string[]);
  return all.filter((f) => f === name || f === `${name}.toml` || f.startsWith(`.${name}.`));
}

describe('restorer: a failed layer restore leaves nothing behind', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('a cache-image layer download cut every time: exit 42, no partial layer, no <layer>.toml', async () => {
    const s = await scenario();
    const bp = join(s.layers, BP_DIR);
    const ref = `${reg.host}/restorer/partial-cache`;
    const w = (await openCache({ image: ref })).startWrite();
    const big = await addDirLayer(w, join(bp, 'cached'), randomFiles(40, 100_000));
    const small = await addDirLayer(w, join(bp, 'launch-cache'), { data: 'lc\n' });
    await w.setMetadata(
      cacheMeta(BP, {
        cached: lm(big, { build: true, cache: true }),
        'launch-cache': lm(small, { launch: true, cache: true }),
      }),
    );
    await w.commit();
    await writeFile(s.analyzed, (await readFile(s.analyzed, 'utf8')).replace(s.sha['launch-cache']!, small));
    const img = await remote.image(ref);
    const blob = img.layers.find((l) => l.diffID === big);
    assert.ok(blob, 'the cache image has the big layer');
    proxy.addRule({
      method: 'GET',
      path: `/blobs/${blob.digest}`,
      action: { kind: 'cut-response', bytes: 300_000 },
      times: 100,
    });
    try {
      const r = await runPhase(
        'restorer',
        ['-layers', s.layers, '-cache-image', `${proxy.host}/restorer/partial-cache`],
        ENV,
      );
      assert.equal(r.code, 42, r.stdout + r.stderr);
      assert.match(r.stderr, /failed to restore/);
      assert.ok(
        proxy.log.some((e) => e.path.includes(blob.digest) && e.fault !== undefined),
        'the fault was injected',
      );
      assert.deepEqual(await leftovers(bp, 'cached'), []);
      // Any other cache=true layer is either complete or gone with its metadata.
      const lc = await leftovers(bp, 'launch-cache');
      if (lc.length > 0) {
        assert.deepEqual(lc.sort(), ['launch-cache', 'launch-cache.toml']);
        assert.equal(await readFile(join(bp, 'launch-cache', 'data'), 'utf8'), 'lc\n');
      }
    } finally {
      proxy.clearRules();
    }
    // The same restore without faults brings the layer back complete.
    const ok = await runPhase(
      'restorer',
      ['-layers', s.layers, '-cache-image', `${proxy.host}/restorer/partial-cache`],
      ENV,
    );
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const got = await readdir(join(bp, 'cached', 'part'));
    assert.equal(got.length, 40);
  });

  for (const damage of ['truncated', 'corrupt'] as const) {
    it(`a ${damage} -cache-dir tar: a warning, the layer and its metadata are gone, nothing temporary left`, async () => {
      const s = await scenario();
      const tar = join(s.cacheDir, 'committed', `${s.sha['cached']}.tar`);
      if (damage === 'truncated') await truncate(tar, 1536);
      else {
        const bytes = await readFile(tar);
        bytes.fill(0x41, 512, 1024);
        await writeFile(tar, bytes);
      }
      const r = await runPhase('restorer', ['-layers', s.layers, '-cache-dir', s.cacheDir], ENV);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /Skipping restore for layer example\/cacher:cached/);
      const bp = join(s.layers, BP_DIR);
      assert.deepEqual(await leftovers(bp, 'cached'), []);
      assert.equal(await readFile(join(bp, 'launch-cache', 'data'), 'utf8'), 'launch-cache-data\n');
      assert.equal(existsSync(join(bp, 'launch-cache.toml')), true);
    });
  }
});
