import assert from 'node:assert/strict';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryLogger, parseApi } from '../platform/index.ts';
import { build } from './build.ts';

const BUILDPACKS = join(import.meta.dirname, '..', '..', 'testdata', 'builder', 'buildpacks');
const USER = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  for (const d of await readdir(p, { withFileTypes: true })) {
    if (d.isDirectory()) await chownTree(join(p, d.name), uid, gid);
    else await chown(join(p, d.name), uid, gid);
  }
}

// platform.md "builder"; buildpack.md "Provided by the Platform" (clear-env) and "Deprecations" (bom).
describe('build(): clear-env and the legacy BOM', () => {
  let root: string;
  const log = memoryLogger();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'phase-build-'));
    for (const d of ['app', 'layers', 'platform/env', 'build-config/env'])
      await mkdir(join(root, d), { recursive: true });
    await writeFile(
      join(root, 'layers/group.toml'),
      '[[group]]\nid = "acme/legacy"\nversion = "0.0.5"\napi = "0.8"\n',
    );
    await writeFile(join(root, 'layers/plan.toml'), '');
    await writeFile(join(root, 'platform/env/USERVAR'), 'user');
    await writeFile(join(root, 'build-config/env/OPVAR'), 'operator');
    if (USER.uid !== undefined) await chownTree(root, USER.uid, USER.gid);
    await build(
      {
        app: join(root, 'app'),
        buildpacks: BUILDPACKS,
        group: join(root, 'layers/group.toml'),
        layers: join(root, 'layers'),
        plan: join(root, 'layers/plan.toml'),
        platform: join(root, 'platform'),
        analyzed: join(root, 'layers/analyzed.toml'),
        buildConfig: join(root, 'build-config'),
        env: { PATH: '/usr/bin:/bin' },
        platformApi: parseApi('0.12')!,
        ...USER,
      },
      log,
    );
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('clear-env hides user env but not operator env', async () => {
    const env = await readFile(join(root, 'app/out-legacy/env'), 'utf8');
    assert.doesNotMatch(env, /^USERVAR=/m);
    assert.match(env, /^OPVAR=operator$/m);
  });
  it('writes legacy BOM entries with their buildpack to sbom.legacy.json, not metadata.toml', async () => {
    const launch = JSON.parse(await readFile(join(root, 'layers/sbom/launch/sbom.legacy.json'), 'utf8'));
    assert.deepEqual(launch, [
      { name: 'runtime', metadata: { version: '1.2.3' }, buildpack: { id: 'acme/legacy', version: '0.0.5' } },
    ]);
    const b = JSON.parse(await readFile(join(root, 'layers/sbom/build/sbom.legacy.json'), 'utf8'));
    assert.deepEqual(b, [{ name: 'compiler', buildpack: { id: 'acme/legacy', version: '0.0.5' } }]);
    assert.doesNotMatch(await readFile(join(root, 'layers/config/metadata.toml'), 'utf8'), /bom/);
    assert.ok(log.lines.some((l) => l.includes('BOM table is deprecated')));
  });
  it('keeps an API 0.8 process direct flag and string command', async () => {
    const text = await readFile(join(root, 'layers/config/metadata.toml'), 'utf8');
    assert.match(text, /command = \[ "\.\/run" \]/);
    assert.match(text, /direct = true/);
  });
});
