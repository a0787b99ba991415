import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../support/platform/index.ts';
import { APP, assertBuildsTwiceAndRuns, BUILDPACKS, type Built, ORDER, output } from './checks.ts';
import { PACK_APIS, pickPlatformApi } from './drivers/apis.ts';
import { packBuild } from './drivers/pack.ts';

/**
 * pack's flows on the real engine (buildpacks/pack internal/build): trusted builder (one creator
 * container; publish, and -daemon with the socket and the launch cache) and untrusted builder (analyzer,
 * restorer, exporter in the lifecycle image as root; detector, builder in the builder as its user), each
 * built twice and run. (pack rebases with the lifecycle's rebaser as a Go library, not in a container:
 * k8s.test.ts runs the rebaser in the lifecycle image.)
 */

describe('pack', { timeout: 1_800_000 }, () => {
  let w: World;
  let platformApi: string;
  before(async () => {
    w = await startWorld({ modulesDir: BUILDPACKS, order: ORDER.map((g) => [...g]) });
    // pack picks the highest Platform API both it (0.3–0.15) and the lifecycle support
    platformApi = pickPlatformApi('pack', PACK_APIS, w.builder);
    assert.equal(platformApi, '0.15', 'pack picks the highest Platform API it shares with the lifecycle');
  });
  after(async () => {
    await w?.stop();
  });

  for (const trusted of [true, false]) {
    for (const publish of [true, false]) {
      const name = `${trusted ? 'trusted' : 'untrusted'} builder, ${publish ? 'publish' : 'daemon'}`;
      it(`${name}: builds, rebuilds reusing layers and the cache, runs`, async () => {
        const tag = `${trusted ? 't' : 'u'}-${publish ? 'pub' : 'dmn'}`;
        const image = publish ? `${w.host}/pack/app:${tag}` : `pack.local/app:${tag}`;
        const build = async (): Promise<Built> => ({
          image,
          log: output(
            await packBuild({
              world: w,
              image,
              app: APP,
              platformApi,
              publish,
              trusted,
              cacheVolume: `pack-cache-${tag}.build`,
              launchCacheVolume: `pack-cache-${tag}.launch`,
            }),
          ),
        });
        await assertBuildsTwiceAndRuns(w, build, { cache: true, daemon: !publish });
      });
    }
  }
});
