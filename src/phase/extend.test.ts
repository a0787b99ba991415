// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveBaseImage } from '../extend/index.ts';
import { writeAnalyzed } from '../files/index.ts';
import { buildImage, type Image, layout, memoryLayer } from '../image/index.ts';
import { memoryLogger } from '../platform/index.ts';
import { extend } from './extend.ts';

let dir: string;
let base: Image;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extend-phase-'));
  base = buildImage({
    config: {
      architecture: 'amd64',
      os: 'linux',
      config: { User: '1000:1000', Env: ['PATH=/bin'], Labels: { keep: 'me' } },
      history: [{ created_by: 'base layer' }, { created_by: 'ENV', empty_layer: true }],
    },
    layers: [memoryLayer(new Uint8Array(1024))],
  });
});
after(() => rm(dir, { recursive: true, force: true }));

async function setup(name: string, dockerfiles: Record<string, string>) {
  const d = join(dir, name);
  const root = join(d, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'opt', 'old'), { recursive: true });
  await writeFile(
    join(root, 'etc', 'passwd'),
    'root:x:0:0::/root:/bin/sh\ncnb:x:1000:1000::/home/cnb:/bin/sh\n',
  );
  await writeFile(join(root, 'opt', 'old', 'f'), 'old');
  const app = join(d, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'app.txt'), 'from the app');
  const kaniko = join(d, 'kaniko');
  await saveBaseImage(kaniko, base);
  await writeAnalyzed(join(d, 'analyzed.toml'), {
    runImage: { reference: `registry.test/run@${base.digest}`, image: 'registry.test/run', extend: true },
  });
  const ids = Object.keys(dockerfiles);
  await writeFile(
    join(d, 'group.toml'),
    ids.map((id) => `[[group-extensions]]\nid = "${id}"\nversion = "1"\napi = "0.10"\n`).join('\n'),
  );
  for (const [id, text] of Object.entries(dockerfiles)) {
    await mkdir(join(d, 'generated', 'run', id.replace(/\//g, '_')), { recursive: true });
    await writeFile(join(d, 'generated', 'run', id.replace(/\//g, '_'), 'Dockerfile'), text);
  }
  const opts = {
    kind: 'run',
    analyzed: join(d, 'analyzed.toml'),
    app,
    generated: join(d, 'generated'),
    group: join(d, 'group.toml'),
    layers: join(d, 'layers'),
    platform: join(d, 'platform'),
    extended: join(d, 'extended'),
    kanikoDir: kaniko,
    root,
    mountinfo: join(d, 'no-mountinfo'),
    runExecutor: async (c: { text: string }) => {
      if (c.text.includes('make-things')) {
        await mkdir(join(root, 'opt', 'new'), { recursive: true });
        await rm(join(root, 'opt', 'old'), { recursive: true });
      }
    },
  };
  return { d, root, kaniko, opts };
}

describe('extender -kind run (temp root, RUN simulated)', () => {
  it('writes the extended run image: new layers only, extended config, rebasable, history', async () => {
    const { d, kaniko, opts } = await setup('ok', {
      'ext/one': [
        'ARG base_image',
        'FROM ${base_image}',
        'ARG user_id',
        'USER root',
        'RUN make-things',
        'ENV EXT=1',
        'COPY app.txt /opt/app.txt',
        'RUN true',
        'LABEL io.buildpacks.rebasable=true',
        'USER ${user_id}',
      ].join('\n'),
      'ext/two': 'ARG base_image\nFROM ${base_image}\nLABEL two=2\n',
    });
    const log = memoryLogger();
    const res = await extend(opts, log);
    const img = res.image as Image;
    assert.equal(img.layers.length, 3);
    assert.equal(img.layers[0]?.digest, base.layers[0]?.digest);
    assert.equal(img.config.config.User, '1000');
    assert.deepEqual(img.config.config.Env, ['PATH=/bin', 'EXT=1']);
    // ext/two did not set the label: rebasable turns false
    assert.deepEqual(img.config.config.Labels, { keep: 'me', two: '2', 'io.buildpacks.rebasable': 'false' });
    assert.deepEqual(
      img.config.history?.map((h) => h.created_by),
      [
        'base layer',
        "Layer: 'RUN make-things', Created by extension: ext/one",
        "Layer: 'COPY app.txt /opt/app.txt', Created by extension: ext/one",
      ],
    );
    assert.ok(!log.lines.some((l) => /original user ID was/.test(l)));

    const runDir = join(d, 'extended', 'run');
    assert.deepEqual(await readdir(runDir), [img.digest]);
    const blobs = await readdir(join(runDir, img.digest, 'blobs', 'sha256'));
    for (const l of img.layers.slice(1)) assert.ok(blobs.includes(l.digest.slice(7)));
    assert.ok(!blobs.includes((base.layers[0]?.digest ?? '').slice(7)));
    const back = await layout.image(join(runDir, img.digest));
    assert.equal(back.digest, img.digest);
    // work files are gone; the base cache stays
    assert.deepEqual(await readdir(kaniko), ['cache']);
    assert.match(await readFile(join(opts.root, 'opt', 'app.txt'), 'utf8'), /from the app/);
  });

  it('fails when the final user is root (exit 102)', async () => {
    const { opts } = await setup('root', { 'ext/root': 'ARG base_image\nFROM ${base_image}\nUSER root\n' });
    await assert.rejects(extend(opts, memoryLogger()), (e: Error & { exitCode?: number }) => {
      assert.match(e.message, /final user ID is 0 \(root\)/);
      return e.exitCode === 102;
    });
    assert.ok(!existsSync(join(opts.extended, 'run')));
  });

  it('says where the base image should come from when it is missing', async () => {
    const { opts, kaniko } = await setup('missing', {});
    await rm(join(kaniko, 'cache'), { recursive: true });
    await assert.rejects(extend(opts, memoryLogger()), /run-image\.extend = true for the run image/);
  });
});
