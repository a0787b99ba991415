import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { cleanupDist, exporter, type Fixture, fixture, ok, pushRunImage } from './helpers.ts';

/**
 * Black box (issue 9 items 4 and 5; D-214, D-215): buildpack output that would make an image config
 * the analyzer cannot read back (16 MiB) is refused at export, naming the file, its size and the limit;
 * a TOML input that is not UTF-8 is refused naming file and line. Exit 62, nothing pushed.
 */
describe('exporter: label size limits and bad bytes', () => {
  let reg: RegistryHandle;
  let run: { ref: string; image: Image };
  let fx: Fixture;
  before(async () => {
    reg = await startRegistry();
    run = await pushRunImage(reg.host);
  });
  after(async () => {
    await fx?.cleanup();
    await reg?.stop();
    await cleanupFixtures();
    await cleanupDist();
  });
  const fresh = async () => {
    await fx?.cleanup();
    fx = await fixture();
    await fx.analyzed(run.ref, `${reg.host}/run:latest`);
  };
  const refused = async (tag: string) => {
    const r = await exporter([...fx.flags(), `${reg.host}/limits:${tag}`]);
    assert.equal(r.code, 62, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await remote.exists(`${reg.host}/limits:${tag}`), false, 'nothing was pushed');
    return r.stderr;
  };

  it('a 2 MiB store.toml is refused naming the file, its size and the 1 MiB limit', async () => {
    await fresh();
    const body = `[metadata]\n  blob = "${'x'.repeat(2 << 20)}"\n`;
    await fx.write('layers/example_hello/store.toml', body);
    const err = await refused('store');
    const file = join(fx.layers, 'example_hello', 'store.toml');
    assert.ok(
      err.includes(
        `store.toml ${file} is ${Buffer.byteLength(body)} bytes, more than the limit of 1048576 bytes`,
      ),
      err,
    );
  });

  it('layer metadata adding up past 16 MiB is refused naming the config size, the limit and the largest files', async () => {
    await fresh();
    const chunk = 'y'.repeat(1_000_000);
    for (let i = 0; i < 18; i++) {
      await fx.write(
        `layers/example_hello/big${i}.toml`,
        `[types]\n  launch = true\n[metadata]\n  v = "${chunk}${i}"\n`,
      );
      await fx.write(`layers/example_hello/big${i}/file.txt`, `${i}\n`);
    }
    const err = await refused('sum');
    assert.match(err, /the image config would be \d+ bytes, more than the limit of 16777216 bytes/);
    assert.match(
      err,
      new RegExp(
        `${join(fx.layers, 'example_hello').replaceAll('/', '\\/')}\\/big\\d+\\.toml 1000\\d+ bytes`,
      ),
    );
  });

  it('invalid UTF-8 in <layer>.toml is refused naming file, line and column', async () => {
    await fresh();
    const file = join(fx.layers, 'example_hello', 'hello.toml');
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('[types]\n  launch = true\n[metadata]\n  v = "caf'),
        Buffer.from([0xe9, 0x22, 0x0a]),
      ]),
    );
    const err = await refused('utf8');
    assert.ok(err.includes(`${file}:4:11: invalid UTF-8`), err);
  });

  it('the same inputs within the limits export fine', async () => {
    await fresh();
    ok(await exporter([...fx.flags(), `${reg.host}/limits:fine`]));
  });
});
