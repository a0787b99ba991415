import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { cleanupDist, exporter, type Fixture, fixture, ok, pushRunImage } from './helpers.ts';

// D-382/D-383 through the built exporter, the fault proxy and a real registry: a big new layer is
// uploaded in PATCH chunks while it is compressed, small ones are pushed as soon as made, the image
// write sends nothing twice, and a registry refusing chunks gets the same image by monolithic PUTs.
describe('exporter uploads: streamed, early, and the fallback', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  let fx: Fixture;
  let streamed: Image;

  const blobPuts = () => proxy.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/uploads/'));
  const exportTo = async (name: string, env: Record<string, string> = {}, extra: string[] = []) =>
    ok(await exporter([...fx.flags(), '-log-level', 'debug', ...extra, `${proxy.host}/${name}`], env));
  /** Every layer and the config read back, verifying digests and diffIDs. */
  const readBack = async (ref: string) => {
    const img = await remote.image(ref);
    for (const l of img.layers) for await (const _ of await l.uncompressed());
    return img;
  };

  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    const run = await pushRunImage(reg.host);
    fx = await fixture();
    // 20 MiB of incompressible bytes: a blob well past the 8 MiB streaming threshold.
    const big = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16)).update(
      Buffer.alloc(20 << 20),
    );
    await writeFile(join(fx.bpDir, 'hello', 'big.bin'), big);
    // The run image through the proxy too, so its layers mount (same registry) and the counts are the app's.
    await fx.analyzed(run.ref.replace(reg.host, proxy.host), `${proxy.host}/run:latest`);
  });
  beforeEach(() => {
    proxy.clearRules();
    proxy.log.length = 0;
  });
  after(async () => {
    await Promise.all([proxy?.stop(), reg?.stop(), fx?.cleanup()]);
    await cleanupFixtures();
    await cleanupDist();
  });

  it('streams the big layer in PATCH chunks, pushes the others early, and sends no blob twice', async () => {
    const r = await exportTo('up/streamed:latest');
    // D-384/D-385: a line when each layer starts and ends (with sizes), the phase's duration.
    assert.match(r.stdout, /^Making layer 'example\/hello:hello'\.\.\.$/m);
    assert.match(
      r.stdout,
      /^Made layer 'example\/hello:hello': 20\.0 MiB, 20\.0 MiB compressed, in \d+\.\d s$/m,
    );
    assert.match(
      r.stdout,
      /^Made layer 'buildpacksio\/lifecycle:launcher': [\d.]+ MiB, [\d.]+ MiB compressed, in /m,
    );
    // The lifecycle's small layers are made first, so their uploads do not wait for the last one.
    const making = (id: string) => r.stdout.indexOf(`Making layer '${id}'...`);
    for (const id of ['buildpacksio/lifecycle:launcher', 'buildpacksio/lifecycle:config'])
      assert.ok(making(id) >= 0 && making(id) < making('example/hello:hello'), `${id} first:\n${r.stdout}`);
    // D-420: each new layer's upload starts and ends with a line naming the layer and the repository.
    const repo = `${proxy.host}/up/streamed`.replace(/[.]/g, '\\.');
    assert.match(
      r.stdout,
      new RegExp(`^Uploading layer 'example/hello:hello' to ${repo} as it is made\\.\\.\\.$`, 'm'),
    );
    assert.match(
      r.stdout,
      new RegExp(`^Uploaded layer 'example/hello:hello' to ${repo}: 20\\.0 MiB in \\d+\\.\\d s$`, 'm'),
    );
    assert.match(
      r.stdout,
      new RegExp(`^Uploading layer 'buildpacksio/lifecycle:launcher' to ${repo}: [\\d.]+ MiB\\.\\.\\.$`, 'm'),
    );
    assert.match(r.stdout, new RegExp(`^Uploaded layer 'buildpacksio/lifecycle:launcher' to ${repo}: `, 'm'));
    assert.match(r.stdout, /^Timer: Exporter started at \S+Z$/m);
    assert.match(r.stdout, /^Timer: Exporter ran for \S+ and ended at \S+Z$/m);
    assert.match(r.stdout, /^Adding layer 'example\/hello:hello'$/m, "the reference's line is unchanged");
    streamed = await readBack(`${reg.host}/up/streamed:latest`);
    const big = streamed.layers.find((l) => l.size > 8 << 20);
    assert.ok(big, 'the image has the big layer');
    const patched = proxy.log.filter((e) => e.method === 'PATCH').reduce((a, e) => a + e.requestBytes, 0);
    assert.equal(patched, big.size, 'the big blob went in PATCH chunks, each byte once');
    const finish = blobPuts().filter((e) => e.path.includes(`digest=${encodeURIComponent(big.digest)}`));
    assert.equal(finish.length, 1);
    assert.equal(finish[0]?.requestBytes, 0, 'PUT ?digest= closes the session, with no body');
    // New blobs = the app's layers (not the run image's, which mount) + the config; each uploaded once.
    const fresh = streamed.layers.length - 2 + 1;
    assert.equal(blobPuts().length, fresh);
    assert.equal(proxy.count('POST', '/blobs/uploads/?mount='), 2, 'the run image layers mount');
  });

  it('-log-level: progress and the duration at info, the start time at debug only, nothing at warn', async () => {
    const info = ok(await exporter([...fx.flags(), `${proxy.host}/up/levels:info`]));
    assert.match(info.stdout, /^Made layer 'example\/hello:hello': /m);
    assert.match(info.stdout, /^Timer: Exporter ran for /m);
    assert.doesNotMatch(info.stdout, /Timer: Exporter started/);
    const warn = ok(await exporter([...fx.flags(), '-log-level', 'warn', `${proxy.host}/up/levels:warn`]));
    assert.equal(warn.stdout, '');
  });

  it('a registry refusing PATCH gets the same image through monolithic PUTs', async () => {
    proxy.addRule({
      method: 'PATCH',
      path: '/blobs/uploads/',
      action: { kind: 'status', status: 405 },
      times: 100,
    });
    const r = await exportTo('up/refused:latest');
    assert.match(r.stdout, /Uploading .* in one request: .*HTTP 405/);
    // The layer whose streaming failed is reported once more when the image write pushes it whole.
    assert.match(r.stdout, /^Uploading layer 'example\/hello:hello' to \S+\/up\/refused: 20\.0 MiB\.\.\.$/m);
    assert.match(r.stdout, /^Uploaded layer 'example\/hello:hello' to \S+\/up\/refused: 20\.0 MiB in /m);
    const img = await readBack(`${reg.host}/up/refused:latest`);
    assert.equal(img.digest, streamed.digest, 'same input, same digests, whatever the upload path');
    const big = img.layers.find((l) => l.size > 8 << 20);
    assert.ok(big);
    const whole = blobPuts().filter((e) => e.requestBytes === big.size);
    assert.equal(whole.length, 1, 'the big blob in one PUT');
  });

  it('exports the cache beside the image (D-386): a layer both launch and cache is made once, then committed', async () => {
    await fx.write('layers/example_hello/hello.toml', '[types]\n  launch = true\n  cache = true\n');
    const cacheDir = join(fx.root, 'cache');
    await mkdir(cacheDir);
    const r = await exportTo('up/cached:latest', {}, ['-cache-dir', cacheDir]);
    assert.equal(r.stdout.match(/^Making layer 'example\/hello:hello'/gm)?.length, 1, 'made once');
    assert.doesNotMatch(r.stdout, /Making cache layer 'example\/hello:hello'/);
    assert.match(r.stdout, /^Adding cache layer 'example\/hello:hello'$/m);
    assert.match(r.stdout, /^Timer: Cache ran for /m);
    const img = await readBack(`${reg.host}/up/cached:latest`);
    const meta = JSON.parse(
      await readFile(join(cacheDir, 'committed', 'io.buildpacks.lifecycle.cache.metadata'), 'utf8'),
    );
    const sha = meta.buildpacks[0].layers.hello.sha;
    assert.ok(img.config.rootfs.diff_ids.includes(sha), 'the cache holds the image layer');
    assert.ok(existsSync(join(cacheDir, 'committed', `${sha}.tar`)), 'committed after its layer is complete');
  });
});
