import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerfileLocation, placeDockerfiles, placePrepopulated } from './generated-dir.ts';

// D-314: the generated dir by kind (before Platform API 0.13) and by extension (0.13+).
describe('generated dir layouts', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'generated-dir-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('by-extension: a superseded run.Dockerfile becomes run.Dockerfile.ignore in place', async () => {
    const gen = join(root, 'gen-ext');
    const out = join(gen, 'a_ext');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'run.Dockerfile'), 'FROM x\n');
    await writeFile(join(out, 'build.Dockerfile'), 'FROM y\n');
    await placeDockerfiles(
      [
        { extensionId: 'a/ext', kind: 'run', path: join(out, 'run.Dockerfile'), ignore: true },
        { extensionId: 'a/ext', kind: 'build', path: join(out, 'build.Dockerfile'), ignore: false },
      ],
      gen,
      'by-extension',
    );
    assert.deepEqual((await readdir(out)).sort(), ['build.Dockerfile', 'run.Dockerfile.ignore']);
  });

  it('by-kind: Dockerfile (or Dockerfile.ignore) and extend-config.toml under <kind>/<escaped id>', async () => {
    const tmp = join(root, 'tmp-out');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'run.Dockerfile'), 'FROM x\n');
    await writeFile(join(tmp, 'extend-config.toml'), '');
    const gen = join(root, 'gen-kind');
    await placeDockerfiles(
      [{ extensionId: 'a/ext', kind: 'run', path: join(tmp, 'run.Dockerfile'), ignore: true }],
      gen,
      'by-kind',
    );
    assert.deepEqual((await readdir(join(gen, 'run', 'a_ext'))).sort(), [
      'Dockerfile.ignore',
      'extend-config.toml',
    ]);
  });

  it('by-extension: a pre-populated generate/ dir is copied to <generated>/<escaped id> (D-314)', async () => {
    const pre = join(root, 'ext', 'generate');
    await mkdir(join(pre, 'context'), { recursive: true });
    await writeFile(join(pre, 'build.Dockerfile'), 'FROM y\n');
    const gen = join(root, 'gen-pre');
    const out = await placePrepopulated(pre, gen, 'a/ext');
    assert.equal(out, join(gen, 'a_ext'));
    assert.deepEqual((await readdir(out)).sort(), ['build.Dockerfile', 'context']);
    const at = await dockerfileLocation(gen, 'a/ext', 'build', '/workspace', 'by-extension');
    assert.deepEqual(at, {
      path: join(out, 'build.Dockerfile'),
      config: join(out, 'extend-config.toml'),
      context: join(out, 'context'),
    });
  });
});
