import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { readBaseImage } from '../../src/extend/index.ts';
import { readAnalyzed } from '../../src/files/index.ts';
import { remote } from '../../src/image/index.ts';
import { restore } from '../../src/phase/index.ts';
import { memoryLogger, parseApi } from '../../src/platform/index.ts';
import { baseImage, cleanupFixtures } from '../layout/fixtures.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { type Scenario, standardScenario } from './fixture.ts';

const exec = promisify(execFile);

/**
 * Restorer `-build-image` (platform.md `restorer`, Platform API 0.10+): the build image's digest
 * reference goes into analyzed.toml as `[build-image]`, and its manifest and config into an OCI layout
 * at `<kaniko>/cache/base/<digest>` for the extender (docs/decisions.md D-273, D-274).
 */
describe('restorer -build-image', () => {
  let reg: RegistryHandle;
  let ref: string;
  let digest: string;
  let rawManifest: Buffer;
  const roots: string[] = [];
  const scenario = async (): Promise<Scenario> => {
    const s = await standardScenario();
    roots.push(s.root);
    return s;
  };
  const tempKaniko = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'kaniko-'));
    roots.push(d);
    return d;
  };

  before(async () => {
    reg = await startRegistry();
    ref = `${reg.host}/restorer/builder:latest`;
    const w = await remote.write(ref, await baseImage('builder'));
    digest = w.digest;
    rawManifest = Buffer.from((await remote.image(ref)).rawManifest);
  });
  after(async () => {
    await reg?.stop();
    for (const r of roots) await rm(r, { recursive: true, force: true });
    await cleanupFixtures();
  });

  it('records the digest reference and saves manifest and config (no layers) under <kaniko>/cache/base', async () => {
    const s = await scenario();
    const kaniko = await tempKaniko();
    const log = memoryLogger('debug');
    const o = {
      layers: s.layers,
      group: s.group,
      analyzed: s.analyzed,
      cacheDir: s.cacheDir,
      skipLayers: false,
    };
    await restore({ ...o, buildImage: ref, kanikoDir: kaniko, env: {}, platformApi: parseApi('0.12')! }, log);

    const analyzed = await readAnalyzed(s.analyzed);
    assert.equal(analyzed?.buildImage?.reference, `${reg.host}/restorer/builder@${digest}`);
    assert.match(await readFile(s.analyzed, 'utf8'), /\[build-image\]\s+reference = "/);
    assert.ok(analyzed?.metadata, 'the rest of analyzed.toml is kept');

    const base = join(kaniko, 'cache', 'base');
    assert.deepEqual(await readdir(base), [digest]);
    const dir = join(base, digest);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), {
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    assert.deepEqual(
      index.manifests.map((m: { digest: string; size: number }) => [m.digest, m.size]),
      [[digest, rawManifest.byteLength]],
    );
    const blob = (d: string) => join(dir, 'blobs', ...d.split(':'));
    assert.deepEqual(
      await readFile(blob(digest)),
      rawManifest,
      'the manifest bytes as the registry has them',
    );
    const manifest = JSON.parse(rawManifest.toString('utf8'));
    assert.ok(existsSync(blob(manifest.config.digest)), 'config blob');
    for (const l of manifest.layers) assert.equal(existsSync(blob(l.digest)), false, 'no layer blobs');
    assert.equal((await readdir(join(dir, 'blobs', 'sha256'))).length, 2);

    // The extender finds it by the reference recorded in analyzed.toml.
    const forExtender = await readBaseImage(kaniko, analyzed?.buildImage?.reference ?? '', 'build image');
    assert.equal(forExtender.digest, digest);
    assert.equal(forExtender.config.config?.Labels?.['test.base'], 'builder');

    // An independent reader sees the image's config in the sparse layout (skopeo's `oci:` names cannot
    // hold the digest's colon, so it reads through a link).
    const link = join(kaniko, 'layout');
    await symlink(dir, link);
    const { stdout } = await exec('skopeo', ['inspect', '--config', `oci:${link}`]);
    assert.equal(JSON.parse(stdout).config.Labels['test.base'], 'builder');
  });

  it('without a <kaniko> directory only records the reference', async () => {
    const s = await scenario();
    const kaniko = join(await tempKaniko(), 'absent');
    const o = { layers: s.layers, group: s.group, analyzed: s.analyzed, skipLayers: false };
    await restore(
      { ...o, buildImage: ref, kanikoDir: kaniko, env: {}, platformApi: parseApi('0.12')! },
      memoryLogger(),
    );
    assert.equal(
      (await readAnalyzed(s.analyzed))?.buildImage?.reference,
      `${reg.host}/restorer/builder@${digest}`,
    );
    assert.equal(existsSync(kaniko), false);
  });

  it("black-box: -build-image and CNB_BUILD_IMAGE at Platform 0.13 (Tekton's), an empty flag taking the env var", async () => {
    const s = await scenario();
    const env = { CNB_PLATFORM_API: '0.13' };
    const kanikoBefore = existsSync('/kaniko');
    const r = await runPhase('restorer', ['-layers', s.layers, `-build-image=${ref}`], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      (await readAnalyzed(s.analyzed))?.buildImage?.reference,
      `${reg.host}/restorer/builder@${digest}`,
    );
    assert.equal(existsSync('/kaniko'), kanikoBefore, 'no /kaniko made when the platform mounts none');

    const s2 = await scenario();
    const r2 = await runPhase('restorer', ['-layers', s2.layers, '-build-image='], {
      ...env,
      CNB_BUILD_IMAGE: ref,
    });
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.equal(
      (await readAnalyzed(s2.analyzed))?.buildImage?.reference,
      `${reg.host}/restorer/builder@${digest}`,
    );
  });

  it('black-box: a build image that is not there fails with exit 1 naming it', async () => {
    const s = await scenario();
    const missing = `${reg.host}/restorer/nobuilder:latest`;
    const r = await runPhase('restorer', ['-layers', s.layers, '-build-image', missing], {
      CNB_PLATFORM_API: '0.13',
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`failed to pull builder image ${missing.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
