// Buildpack lookup: platform.md "Buildpacks Directory Layout", S-1 (`/` → `_`), API check (exit 12).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { escapeId, ModuleStore, moduleDir } from './lookup.ts';

describe('escapeId / moduleDir (S-1)', () => {
  it('replaces every "/" with "_"', () => {
    assert.equal(escapeId('paketo-buildpacks/node/npm'), 'paketo-buildpacks_node_npm');
    assert.equal(moduleDir('/cnb/buildpacks', 'a/b', '1.0.0'), '/cnb/buildpacks/a_b/1.0.0');
  });
});

describe('ModuleStore', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'store-test-'));
    const put = async (rel: string, text: string) => {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(join(root, rel), text);
    };
    await put('ns_a/1.0.0/buildpack.toml', 'api = "0.9"\n[buildpack]\nid = "ns/a"\nversion = "1.0.0"\n');
    await put('ns_a/1.0.0/bin/build', '#!/bin/sh\n');
    await put('b/1.0.0/buildpack.toml', 'api = "0.6"\n[buildpack]\nid = "b"\nversion = "1.0.0"\n');
    await put('c/1.0.0/buildpack.toml', 'api = "0.10"\n[buildpack]\nid = "c"\nversion = "1.0.0"\n');
    await put('e_x/1/extension.toml', 'api = "0.10"\n[extension]\nid = "e/x"\nversion = "1"\n');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('finds <escaped id>/<version>/buildpack.toml, verifies its API and notes bin/build', async () => {
    const store = new ModuleStore({ buildpacks: root });
    const m = await store.buildpack('ns/a', '1.0.0');
    assert.deepEqual(m.api, { major: 0, minor: 9 });
    assert.equal(m.descriptor.dir, join(root, 'ns_a', '1.0.0'));
    assert.equal(m.hasBinBuild, true);
    assert.equal((await store.buildpack('c', '1.0.0')).hasBinBuild, false);
    assert.equal(await store.buildpack('ns/a', '1.0.0'), m, 'cached');
  });

  it('rejects an unsupported API with exit 12', async () => {
    await assert.rejects(
      () => new ModuleStore({ buildpacks: root }).buildpack('b', '1.0.0'),
      (e) => isLifecycleError(e) && e.exitCode === 12 && /'0\.6'/.test(e.message),
    );
  });

  it('names the missing path', async () => {
    await assert.rejects(
      () => new ModuleStore({ buildpacks: root }).buildpack('x/y', '2.0.0'),
      (e) =>
        isLifecycleError(e) &&
        e.code === 'ERR_BUILDPACK_NOT_FOUND' &&
        e.message.includes(join(root, 'x_y', '2.0.0', 'buildpack.toml')),
    );
  });

  it('looks up extensions in the extensions directory', async () => {
    const m = await new ModuleStore({ buildpacks: root, extensions: root }).extension('e/x', '1');
    assert.equal(m.descriptor.extension.id, 'e/x');
    await assert.rejects(
      () => new ModuleStore({ buildpacks: root }).extension('e/x', '1'),
      /no extensions directory/,
    );
  });
});
