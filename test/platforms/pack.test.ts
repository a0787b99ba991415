import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorld, type World } from '../support/platform/index.ts';
import {
  APP,
  assertAppRuns,
  assertFirstBuild,
  assertLayersReused,
  assertRebuild,
  BUILDPACKS,
  daemonLabels,
  ORDER,
  output,
  registryMetadata,
} from './checks.ts';
import { PACK_APIS, pickPlatformApi } from './drivers/apis.ts';
import { packBuild } from './drivers/pack.ts';
import { pod } from './drivers/pod.ts';
import { rebase } from './drivers/rebaser.ts';

/**
 * pack's flows on the real engine (buildpacks/pack internal/build): trusted builder (one creator
 * container; publish, and -daemon with the socket and the launch cache) and untrusted builder (analyzer,
 * restorer, exporter in the lifecycle image as root; detector, builder in the builder as its user), each
 * built twice and run; then the rebaser in a container of the lifecycle image.
 */

describe('pack', { timeout: 1_800_000 }, () => {
  let w: World;
  let platformApi: string;
  before(async () => {
    w = await startWorld({ modulesDir: BUILDPACKS, order: ORDER.map((g) => [...g]) });
    // pack picks the highest Platform API both it (0.3–0.15) and the lifecycle support
    platformApi = pickPlatformApi('pack', PACK_APIS, w.builder);
  });
  after(async () => {
    await w?.stop();
  });

  const metadata = async (publish: boolean, image: string) =>
    publish
      ? registryMetadata(w, image)
      : JSON.parse((await daemonLabels(w, image))['io.buildpacks.lifecycle.metadata'] ?? '{}');

  for (const trusted of [true, false]) {
    for (const publish of [true, false]) {
      const name = `${trusted ? 'trusted' : 'untrusted'} builder, ${publish ? 'publish' : 'daemon'}`;
      it(`${name}: builds, rebuilds reusing layers and the cache, runs`, async () => {
        const tag = `${trusted ? 't' : 'u'}-${publish ? 'pub' : 'dmn'}`;
        const image = publish ? `${w.host}/pack/app:${tag}` : `pack.local/app:${tag}`;
        const build = async () =>
          output(
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
          );
        assertFirstBuild(await build());
        const md1 = await metadata(publish, image);
        assertRebuild(await build(), { cache: true });
        assertLayersReused(await metadata(publish, image), md1, { cache: true });
        if (publish) await w.dockerd.docker(['pull', '-q', image]);
        await assertAppRuns(w, image);
      });
    }
  }

  it('rebaser in the lifecycle image: the app image moves to run:b and still runs', async () => {
    const image = `${w.host}/pack/app:t-pub`;
    const p = await pod(w.scratch);
    try {
      const before = await registryMetadata(w, image);
      const r = await rebase(w, p, { image, runImage: w.runB.name, platformApi });
      const after = await registryMetadata(w, image);
      const runImage = after['runImage'] as { reference?: string; topLayer?: string };
      assert.equal(runImage.reference, w.runB.ref, `run image after rebase: ${JSON.stringify(after)}`);
      assert.notEqual(JSON.stringify(before['runImage']), JSON.stringify(after['runImage']));
      assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
      await w.dockerd.docker(['pull', '-q', image]);
      const marker = await w.dockerd.docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        'cat',
        image,
        '/etc/run-image',
      ]);
      assert.equal(marker.stdout, 'b\n');
      await assertAppRuns(w, image);
    } finally {
      await p.remove();
    }
  });
});
