import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUILD_USER, groupToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/builder`: SBOM files (buildpack.md "Software-Bill-of-Materials";
 * platform.md "builder" Outputs `<layers>/sbom/`; docs/reference-behaviour.md §5 "SBOM files", §12).
 * phases/api12 declares CycloneDX and Syft in `sbom-formats`.
 */
describe('builder: SBOM files (black box)', () => {
  let ws: Workspace;
  let run: Awaited<ReturnType<Workspace['builder']>>;
  const bp = 'workspace/build/api12';
  const sbom = (rel: string) => ws.read(`layers/sbom/${rel}`);

  before(async () => {
    ws = await workspace();
    await ws.write('layers/group.toml', groupToml(['phases/api12@0.0.12@0.12']));
    await ws.write('layers/plan.toml', '');
    // A stale SBOM from an earlier build: the builder deletes <layers>/sbom first.
    await ws.write('layers/sbom/launch/stale/sbom.cdx.json', '{"stale":true}');
    await ws.write(`${bp}/launch.sbom.cdx.json`, '{"bp":"launch"}');
    await ws.write(`${bp}/build.sbom.syft.json`, '{"bp":"build"}');
    await ws.write(`${bp}/runtime.toml`, '[types]\nlaunch = true\ncache = true\n');
    await ws.write(`${bp}/runtime/file`, 'x');
    await ws.write(`${bp}/runtime.sbom.cdx.json`, '{"layer":"runtime"}');
    await ws.write(`${bp}/tools.toml`, '[types]\nbuild = true\n');
    await ws.write(`${bp}/tools/file`, 'x');
    await ws.write(`${bp}/tools.sbom.syft.json`, '{"layer":"tools"}');
    // An SBOM for a layer that does not exist is ignored.
    await ws.write(`${bp}/ghost.sbom.cdx.json`, '{"layer":"ghost"}');
    run = await ws.builder();
  });
  after(() => ws.cleanup());

  it('exits 0', () => {
    assert.equal(run.code, 0, show(run));
  });

  it('deletes <layers>/sbom before building', async () => {
    assert.equal(await ws.exists('layers/sbom/launch/stale'), false);
  });

  it('launch.sbom.<ext> → sbom/launch/<bp>/sbom.<ext>; build.sbom.<ext> → sbom/build/<bp>/', async () => {
    assert.equal(await sbom('launch/phases_api12/sbom.cdx.json'), '{"bp":"launch"}');
    assert.equal(await sbom('build/phases_api12/sbom.syft.json'), '{"bp":"build"}');
  });

  it('a launch+cache layer SBOM → sbom/launch/<bp>/<layer>/ and sbom/cache/<bp>/<layer>/', async () => {
    assert.equal(await sbom('launch/phases_api12/runtime/sbom.cdx.json'), '{"layer":"runtime"}');
    assert.equal(await sbom('cache/phases_api12/runtime/sbom.cdx.json'), '{"layer":"runtime"}');
  });

  it('a build layer SBOM → sbom/build/<bp>/<layer>/', async () => {
    assert.equal(await sbom('build/phases_api12/tools/sbom.syft.json'), '{"layer":"tools"}');
    assert.equal(await ws.exists('layers/sbom/launch/phases_api12/tools'), false);
  });

  it('ignores an SBOM for a layer that does not exist', async () => {
    for (const kind of ['launch', 'build', 'cache'])
      assert.equal(await ws.exists(`layers/sbom/${kind}/phases_api12/ghost`), false, kind);
  });

  it(`<layers>/sbom belongs to the build user ${BUILD_USER.uid}:${BUILD_USER.gid} (S-7)`, async () => {
    for (const rel of ['sbom', 'sbom/launch/phases_api12/sbom.cdx.json', 'sbom/cache/phases_api12/runtime']) {
      const st = await stat(join(ws.layers, rel));
      assert.deepEqual({ uid: st.uid, gid: st.gid }, BUILD_USER, rel);
    }
  });
});
