import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { readAnalyzed } from '../files/index.ts';
import { emptyImage, type Image, layout, mutate } from '../image/index.ts';
import { layerFromDir } from '../layer/index.ts';
import { memoryLogger, parseApi } from '../platform/index.ts';
import { analyze } from './analyze.ts';
import { validateAnalyzeReferences } from './analyze-references.ts';
import { restoreSbomLayer } from './analyze-sbom.ts';

describe('validateAnalyzeReferences (platform.md `analyzer` Inputs; docs/reference-behaviour.md §0.9)', () => {
  const ok: [string, Parameters<typeof validateAnalyzeReferences>[0]][] = [
    ['tags on the same registry', { image: 'reg.io/app', tags: ['reg.io/app:v2', 'reg.io/other:x'] }],
    ['daemon: tags on other registries', { image: 'reg.io/app', tags: ['other.io/app:v2'], daemon: true }],
    [
      'daemon: previous image given as an image ID',
      { image: 'app', previousImage: `sha256:${'a'.repeat(64)}`, daemon: true },
    ],
    [
      'layout: paths in the layout dir',
      { image: 'app', previousImage: '/l/index.docker.io/x/y/latest', layout: true, layoutDir: '/l' },
    ],
  ];
  for (const [name, o] of ok) it(`accepts: ${name}`, () => validateAnalyzeReferences(o));
  const bad: [string, Parameters<typeof validateAnalyzeReferences>[0], RegExp][] = [
    ['unparsable image', { image: 'Not A Ref' }, /failed to resolve inputs: image: invalid image reference/],
    ['unparsable tag', { image: 'app', tags: ['a b'] }, /-tag/],
    ['unparsable run image', { image: 'app', runImage: 'x::y' }, /-run-image/],
    ['unparsable cache image', { image: 'app', cacheImage: 'UPPER/case' }, /-cache-image/],
    [
      'layout: tags on another registry',
      { image: 'reg.io/app', tags: ['other.io/app'], layout: true, layoutDir: '/l' },
      /writing to multiple registries is unsupported/,
    ],
    ['unparsable previous image', { image: 'app', previousImage: 'a/../b' }, /-previous-image/],
    [
      'tags on another registry',
      { image: 'reg.io/app', tags: ['other.io/app'] },
      /writing to multiple registries is unsupported/,
    ],
  ];
  for (const [name, o, msg] of bad)
    it(`rejects with exit 3: ${name}`, () =>
      assert.throws(() => validateAnalyzeReferences(o), { exitCode: 3, message: msg }));
});

describe('analyze (layout mode, library call)', () => {
  let dir: string;
  let run: Image;
  let prev: Image;
  let sbomDiffID: string;
  const api = parseApi('0.12')!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analyze-'));
    const src = join(dir, 'src');
    await mkdir(join(src, 'old', 'layers', 'sbom', 'launch', 'example_node'), { recursive: true });
    await writeFile(
      join(src, 'old', 'layers', 'sbom', 'launch', 'example_node', 'sbom.cdx.json'),
      '{"bomFormat":"CycloneDX"}',
    );
    const sbom = await layerFromDir(
      { dir: join(src, 'old'), prefix: '/old', uid: 0, gid: 0 },
      join(dir, 'sbom.tgz'),
    );
    sbomDiffID = sbom.diffID;
    run = mutate(emptyImage({ os: 'linux', architecture: 'arm', variant: 'v7' }), {
      config: { labels: { 'io.buildpacks.base.id': 'io.example.run' } },
    });
    prev = mutate(run, {
      addLayers: [sbom],
      config: {
        labels: {
          'io.buildpacks.lifecycle.metadata': JSON.stringify({
            sbom: { sha: sbom.diffID },
            config: { sha: 'sha256:c' },
          }),
        },
      },
    });
    await layout.write(layout.layoutPath(join(dir, 'repo'), 'run:v1'), run);
    await layout.write(layout.layoutPath(join(dir, 'repo'), 'app:v1'), prev);
    await layout.write(
      layout.layoutPath(join(dir, 'repo'), 'noos:v1'),
      mutate(emptyImage({ os: '', architecture: 'amd64' })),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const opts = (layers: string, extra: Partial<Parameters<typeof analyze>[0]> = {}) => ({
    image: 'app:v1',
    run: join(dir, 'no-run.toml'),
    runImage: 'run:v1',
    layers,
    analyzed: join(layers, 'analyzed.toml'),
    layout: true,
    layoutDir: join(dir, 'repo'),
    env: {},
    platformApi: api,
    ...extra,
  });

  it('records previous and run image, restores the SBOM layer into <layers>/sbom', async () => {
    const layers = join(dir, 'layers1');
    const log = memoryLogger();
    const a = await analyze(opts(layers), log);
    const repo = join(dir, 'repo');
    assert.deepEqual(a.previousImage, { reference: `${repo}/index.docker.io/library/app/v1@${prev.digest}` });
    assert.deepEqual(a.runImage, {
      reference: `${repo}/index.docker.io/library/run/v1@${run.digest}`,
      image: 'run:v1',
      target: { id: 'io.example.run', os: 'linux', arch: 'arm', archVariant: 'v7' },
    });
    assert.deepEqual(a.metadata, { config: { sha: 'sha256:c' }, sbom: { sha: sbomDiffID } });
    assert.deepEqual(JSON.parse(JSON.stringify(await readAnalyzed(join(layers, 'analyzed.toml')))), a);
    assert.ok(log.lines.includes('info: Restoring data for SBOM from previous image'));
    assert.equal(
      await readFile(join(layers, 'sbom', 'launch', 'example_node', 'sbom.cdx.json'), 'utf8'),
      '{"bomFormat":"CycloneDX"}',
    );
  });

  it('restoreSbomLayer reads <launch-cache>/committed/<diffID>.tar when present', async () => {
    const cache = join(dir, 'launch-cache');
    await mkdir(join(cache, 'committed'), { recursive: true });
    const layer = prev.layers.find((l) => l.diffID === sbomDiffID)!;
    await pipeline(
      await layer.uncompressed(),
      createWriteStream(join(cache, 'committed', `${sbomDiffID}.tar`)),
    );
    const layers = join(dir, 'layers-lc');
    // the image has no such layer: only the launch cache can provide it
    await restoreSbomLayer(run, sbomDiffID, layers, memoryLogger(), cache);
    assert.equal(
      await readFile(join(layers, 'sbom', 'launch', 'example_node', 'sbom.cdx.json'), 'utf8'),
      '{"bomFormat":"CycloneDX"}',
    );
    assert.deepEqual(await readdir(layers), ['sbom']);
  });

  it('-skip-layers: no SBOM restore', async () => {
    const layers = join(dir, 'layers2');
    const log = memoryLogger();
    await analyze(opts(layers, { skipLayers: true }), log);
    assert.ok(!log.lines.some((l) => l.includes('Restoring data for SBOM')));
    await assert.rejects(readFile(join(layers, 'sbom', 'launch', 'example_node', 'sbom.cdx.json')));
  });

  it('missing previous and run images: empty references, default target', async () => {
    const layers = join(dir, 'layers3');
    const log = memoryLogger();
    const a = await analyze(opts(layers, { image: 'new:v1', runImage: 'missing-run:v1' }), log);
    assert.deepEqual(a.previousImage, { reference: '' });
    assert.deepEqual(a.metadata, {});
    assert.deepEqual(a.runImage, {
      reference: '',
      image: 'missing-run:v1',
      target: { os: 'linux', arch: 'amd64' },
    });
    assert.ok(log.lines.includes('info: Image with name "new:v1" not found'));
  });

  it('run image without OS: exit 32', async () => {
    await assert.rejects(analyze(opts(join(dir, 'layers4'), { runImage: 'noos:v1' }), memoryLogger()), {
      exitCode: 32,
      message: /failed to find OS in run image config/,
    });
  });

  it('a corrupt previous image is ignored', async () => {
    const bad = layout.layoutPath(join(dir, 'repo'), 'corrupt:v1');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'index.json'), '{not json');
    const log = memoryLogger();
    const a = await analyze(opts(join(dir, 'layers5'), { image: 'corrupt:v1' }), log);
    assert.deepEqual(a.previousImage, { reference: '' });
    assert.ok(
      log.lines.includes('info: Ignoring image "corrupt:v1" because it was corrupt'),
      log.lines.join('\n'),
    );
  });
});
