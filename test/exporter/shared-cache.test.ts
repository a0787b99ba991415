import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CacheMetadata, openDirCache } from '../../src/cache/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { BP, cleanupDist, exporter, type Fixture, fixture, ok, pushRunImage } from './helpers.ts';

/**
 * One `-cache-dir` shared by several builds at once (issue 9 item 7; D-231): two exporters, or a
 * restorer reading while an exporter writes. Neither loses its work, and the cache is always readable:
 * every layer its metadata names is there and verifies. Bounded rounds; races differ between them.
 */
const ROUNDS = 3;

/** Reads every layer the committed metadata names (each verified against its diffID while read). */
async function readable(cacheDir: string): Promise<CacheMetadata> {
  const cache = await openDirCache(cacheDir);
  assert.equal(cache.exists(), true, 'the cache has committed metadata');
  const m = await cache.metadata();
  const shas = [...m.buildpacks.flatMap((b) => Object.values(b.layers).map((l) => l.sha)), m.sbom?.sha ?? ''];
  for (const sha of shas.filter((s) => s !== '')) {
    let n = 0;
    for await (const c of await cache.layer(sha)) n += (c as Buffer).length;
    assert.ok(n >= 1024, `layer ${sha} reads back`);
  }
  return m;
}

/** The `c` metadata of the `deps` layer in a cache. */
function depsContent(m: CacheMetadata): string | undefined {
  const data = m.buildpacks.find((b) => b.key === BP.id)?.layers['deps']?.data as { c?: string } | undefined;
  return data?.c;
}

describe('exporter: one cache directory, several builds at once', () => {
  let reg: RegistryHandle;
  let runRef: string;
  const fixtures: Fixture[] = [];
  const byContent = new Map<string, Fixture>();
  let cacheDir: string;

  /** A fixture whose cache=true layer `deps` holds `content`. */
  async function build(content: string): Promise<Fixture> {
    const fx = await fixture();
    fixtures.push(fx);
    byContent.set(content, fx);
    await fx.analyzed(runRef, `${reg.host}/run:latest`);
    await fx.write(
      'layers/example_hello/deps.toml',
      `[types]\n  cache = true\n  build = true\n\n[metadata]\n  c = "${content}"\n`,
    );
    await fx.write('layers/example_hello/deps/data.txt', `${content}\n`);
    return fx;
  }
  /** Warnings that mean the exporter's cache was not written as it should be. */
  const cacheFailures = (stderr: string) =>
    stderr.split('\n').filter((l) => /Failed to (export cache|cache)|Skipping reuse/.test(l));

  before(async () => {
    reg = await startRegistry();
    runRef = (await pushRunImage(reg.host)).ref;
    cacheDir = await mkdtemp(join(tmpdir(), 'shared-cache-'));
  });
  after(async () => {
    await Promise.all([
      reg?.stop(),
      ...fixtures.map((f) => f.cleanup()),
      rm(cacheDir, { recursive: true, force: true }),
    ]);
    await cleanupFixtures();
    await cleanupDist();
  });

  it('two exporters committing to one -cache-dir at once: both keep their layers, the cache stays valid', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const tags = ['a', 'b'].map((w) => ({ w, content: `${w}-${round}-${randomBytes(4).toString('hex')}` }));
      const fxs = await Promise.all(tags.map((t) => build(t.content)));
      const runs = await Promise.all(
        fxs.map((fx, i) =>
          exporter([...fx.flags(), '-cache-dir', cacheDir, `${reg.host}/shared-${tags[i]!.w}:${round}`]),
        ),
      );
      for (const r of runs) {
        ok(r);
        assert.deepEqual(cacheFailures(r.stderr), [], r.stderr);
        assert.match(r.stdout, new RegExp(`Adding cache layer '${BP.id}:deps'`));
      }
      // The last commit wins: the cache is one exporter's, complete and readable.
      const m = await readable(cacheDir);
      const c = depsContent(m);
      assert.ok(
        tags.some((t) => t.content === c),
        `cache of round ${round} is one of its exporters': ${c}`,
      );
      assert.deepEqual((await readdir(cacheDir)).sort(), ['committed'], 'no staging, lock or backup left');
    }
  });

  it('a restorer reading while an exporter writes: the restore is valid and the export keeps its layers', async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await readable(cacheDir);
      const old = depsContent(before);
      const content = `r-${round}-${randomBytes(4).toString('hex')}`;
      const fx = await build(content);
      // Cached layers name their absolute path: the restorer restores into the layers directory of the
      // build that committed the current cache (that exporter is done).
      const prev = byContent.get(old ?? '');
      assert.ok(prev, `the committed cache is a known build's: ${old}`);
      const rlayers = prev.layers;
      await rm(join(rlayers, 'example_hello'), { recursive: true, force: true });
      const [exp, res] = await Promise.all([
        exporter([...fx.flags(), '-cache-dir', cacheDir, `${reg.host}/shared-r:${round}`]),
        runPhase('restorer', ['-layers', rlayers, '-cache-dir', cacheDir], { CNB_PLATFORM_API: '0.12' }),
      ]);
      ok(exp);
      assert.deepEqual(cacheFailures(exp.stderr), [], exp.stderr);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      // The restorer saw the old or the new version; what it restored is complete. A layer can be missing
      // (committed away meanwhile) or belong to the other build's layers path, never be damaged.
      const skips = (res.stdout + res.stderr).split('\n').filter((l) => /Skipping restore/.test(l));
      for (const l of skips) assert.match(l, /failed to find cache layer|it is outside/, l);
      const restored = await readFile(join(rlayers, 'example_hello', 'deps', 'data.txt'), 'utf8').catch(
        () => undefined,
      );
      if (restored !== undefined) assert.equal(restored, `${old}\n`);
      else assert.equal(skips.length > 0, true, res.stdout + res.stderr);
      const m = await readable(cacheDir);
      assert.equal(depsContent(m), content);
      assert.deepEqual((await readdir(cacheDir)).sort(), ['committed']);
    }
  });
});
