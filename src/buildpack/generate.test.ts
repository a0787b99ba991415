// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${base_image}
// Run image selection after generation (platform.md "detector": "To select the run image, the
// lifecycle SHALL inspect each run.Dockerfile ..."; docs/reference-behaviour.md §2 "Extensions: generate").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Analyzed } from '../files/index.ts';
import { memoryLogger } from '../platform/log.ts';
import { type GeneratedDockerfile, selectRunImage } from './generate.ts';

const analyzed: Analyzed = {
  runImage: { reference: 'orig@sha256:1', image: 'orig', target: { os: 'linux', arch: 'amd64' } },
};
const run = (id: string, newBase?: string, extend = false): GeneratedDockerfile => ({
  extensionId: id,
  kind: 'run',
  path: `/out/${id}/run.Dockerfile`,
  ...(newBase === undefined ? {} : { newBase }),
  extend,
  ignore: false,
});
const build = (id: string): GeneratedDockerfile => ({
  extensionId: id,
  kind: 'build',
  path: '/b',
  extend: true,
  ignore: false,
});

describe('selectRunImage', () => {
  it('no run.Dockerfiles: unchanged', () => {
    assert.deepEqual(selectRunImage(analyzed, [build('a')], undefined, memoryLogger()), analyzed);
  });

  it('all FROM ${base_image} with instructions: original image, extend = true', () => {
    const r = selectRunImage(analyzed, [run('a', undefined, true), run('b')], undefined, memoryLogger());
    assert.deepEqual(r.runImage, { ...analyzed.runImage, extend: true });
  });

  it('the last switching run.Dockerfile wins; earlier ones are ignored; target cleared', () => {
    const dfs = [run('a', 'img-a', true), run('b', 'img-b'), run('c', undefined, false)];
    const log = memoryLogger();
    const r = selectRunImage(analyzed, dfs, { images: [{ image: 'img-b', mirrors: [] }] }, log);
    assert.deepEqual(r.runImage, { reference: 'img-b', image: 'img-b', extend: false });
    assert.deepEqual(
      dfs.map((d) => d.ignore),
      [true, false, false],
    );
    assert.deepEqual(log.lines, []);
  });

  it('a following run.Dockerfile with instructions extends the new image', () => {
    const r = selectRunImage(
      analyzed,
      [run('a', 'img-a'), run('b', undefined, true)],
      undefined,
      memoryLogger(),
    );
    assert.deepEqual(r.runImage, { reference: 'img-a', image: 'img-a', extend: true });
  });

  it('switching to the image already selected keeps reference and target', () => {
    const r = selectRunImage(
      analyzed,
      [run('a', 'orig')],
      { images: [{ image: 'orig', mirrors: [] }] },
      memoryLogger(),
    );
    assert.deepEqual(r, analyzed);
  });

  it('warns when run.toml does not list the new image', () => {
    const log = memoryLogger();
    selectRunImage(analyzed, [run('a', 'elsewhere')], { images: [{ image: 'orig', mirrors: ['m'] }] }, log);
    assert.deepEqual(log.lines, ["warn: new runtime base image 'elsewhere' not found in run metadata"]);
  });
});
