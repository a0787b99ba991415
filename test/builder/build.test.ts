import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBuildMetadata } from '../../src/files/index.ts';
import { build } from '../../src/phase/build.ts';
import { memoryLogger } from '../../src/platform/index.ts';
import {
  ANALYZED,
  BUILDPACKS,
  groupToml,
  opts,
  PLAN,
  parseEnvDump,
  type Workspace,
  workspace,
} from './helpers.ts';

const THREE = [
  ['acme/first', '0.0.1', '0.7'],
  ['acme/second', '0.0.2', '0.9'],
  ['acme/third', '0.0.3', '0.10'],
] as const;

describe('builder: three buildpacks (API 0.7, 0.9, 0.10)', () => {
  let ws: Workspace;
  const log = memoryLogger();
  let result: Awaited<ReturnType<typeof build>>;
  before(async () => {
    ws = await workspace();
    await ws.write('layers/group.toml', groupToml(THREE));
    await ws.write('layers/plan.toml', PLAN);
    await ws.write('layers/analyzed.toml', ANALYZED);
    await ws.write('platform/env/USERVAR', 'from-user');
    await ws.write('platform/env/PATH', '/user/bin');
    await ws.write('build-config/env/OPVAR', 'op-default');
    await ws.write('build-config/env/USERVAR', 'op-does-not-win');
    await ws.write('build-config/env/OVER.append', '+op');
    await ws.write('layers/sbom/launch/stale/sbom.cdx.json', '{}');
    await ws.handOver();
    result = await build(opts(ws), log);
  });
  after(() => ws.cleanup());

  it('runs in <app> with positional args <layers>/<escaped id> <platform> <plan> (S-2)', async () => {
    const args = (await ws.read('workspace/out-first/args')).trim().split('\n');
    assert.equal(args[0], join(ws.layers, 'acme_first'));
    assert.equal(args[1], ws.platform);
    assert.match(args[2] ?? '', /plan\.toml$/);
    assert.equal((await ws.read('workspace/out-first/pwd')).trim(), ws.app);
    assert.equal(
      (await ws.read('workspace/out-second/args')).trim().split('\n')[0],
      join(ws.layers, 'acme_second'),
    );
  });

  it('gives CNB_* inputs by API: 0.7 none but CNB_BUILDPACK_DIR; 0.8+ layers/platform/plan; 0.10+ targets', async () => {
    const first = parseEnvDump(await ws.read('workspace/out-first/env'));
    assert.equal(first['CNB_BUILDPACK_DIR'], join(BUILDPACKS, 'acme_first', '0.0.1'));
    for (const k of [
      'CNB_LAYERS_DIR',
      'CNB_PLATFORM_DIR',
      'CNB_BP_PLAN_PATH',
      'CNB_TARGET_OS',
      'CNB_EXEC_ENV',
    ])
      assert.equal(first[k], undefined, k);
    const second = parseEnvDump(await ws.read('workspace/out-second/env'));
    assert.equal(second['CNB_LAYERS_DIR'], join(ws.layers, 'acme_second'));
    assert.equal(second['CNB_PLATFORM_DIR'], ws.platform);
    assert.match(second['CNB_BP_PLAN_PATH'] ?? '', /plan\.toml$/);
    assert.equal(second['CNB_TARGET_OS'], undefined);
    const third = parseEnvDump(await ws.read('workspace/out-third/env'));
    assert.equal(third['CNB_TARGET_OS'], 'linux');
    assert.equal(third['CNB_TARGET_ARCH'], 'arm64');
    assert.equal(third['CNB_TARGET_ARCH_VARIANT'], 'v8');
    assert.equal(third['CNB_TARGET_DISTRO_NAME'], 'ubuntu');
    assert.equal(third['CNB_TARGET_DISTRO_VERSION'], '22.04');
    assert.equal(third['CNB_EXEC_ENV'], undefined);
  });

  it('filters the lifecycle env and applies user then operator env', async () => {
    const third = parseEnvDump(await ws.read('workspace/out-third/env'));
    assert.equal(third['SECRET_TOKEN'], undefined);
    assert.equal(third['CNB_REGISTRY_AUTH'], undefined);
    assert.equal(third['HOME'], '/home/cnb');
    assert.equal(third['USERVAR'], 'from-user');
    assert.equal(third['OPVAR'], 'op-default');
  });

  it('orders build layer paths and env files across buildpacks and layers', async () => {
    const l = (bp: string, layer: string, sub: string) => join(ws.layers, bp, layer, sub);
    const second = parseEnvDump(await ws.read('workspace/out-second/env'));
    assert.equal(
      second['PATH'],
      ['/user/bin', l('acme_first', 'aa', 'bin'), l('acme_first', 'ab', 'bin'), '/usr/bin', '/bin'].join(':'),
    );
    assert.equal(second['VAR'], 'first-aa:first-ab');
    const third = parseEnvDump(await ws.read('workspace/out-third/env'));
    assert.equal(
      third['PATH'],
      [
        '/user/bin',
        l('acme_second', 'zz', 'bin'),
        l('acme_first', 'aa', 'bin'),
        l('acme_first', 'ab', 'bin'),
        '/usr/bin',
        '/bin',
      ].join(':'),
    );
    assert.equal(third['LD_LIBRARY_PATH'], l('acme_first', 'ab', 'lib'));
    assert.equal(third['LIBRARY_PATH'], l('acme_first', 'ab', 'lib'));
    assert.equal(third['VAR'], 'second-zz:first-aa:first-ab');
    assert.equal(third['OVER'], 'from-first+op');
    assert.equal(third['LAUNCH_ONLY'], undefined, 'launch-only layers do not change the build env');
    const first = parseEnvDump(await ws.read('workspace/out-first/env'));
    assert.equal(first['VAR'], undefined, "a buildpack never sees its own layers' env");
  });

  it('gives each buildpack only its plan entries; unmet entries pass to the next provider', async () => {
    const first = await ws.read('workspace/out-first/plan.toml');
    assert.match(first, /name = "dep-a"/);
    assert.match(first, /v = "1"/);
    assert.match(first, /name = "dep-b"/);
    assert.doesNotMatch(first, /dep-c|dep-ext/);
    const second = await ws.read('workspace/out-second/plan.toml');
    assert.match(second, /name = "dep-c"/);
    assert.doesNotMatch(second, /dep-a|dep-b/);
    const third = await ws.read('workspace/out-third/plan.toml');
    assert.match(third, /name = "dep-b"/, 'dep-b was unmet by acme/first');
    assert.doesNotMatch(third, /dep-ext/, 'extension-provided entries are not given to buildpacks');
  });

  it('renames ignored layers to .ignore and leaves directories without <layer>.toml (S-6)', async () => {
    assert.ok((await stat(join(ws.layers, 'acme_first', 'scratch.ignore'))).isDirectory());
    await assert.rejects(stat(join(ws.layers, 'acme_first', 'scratch')));
    assert.ok((await stat(join(ws.layers, 'acme_first', 'notoml'))).isDirectory());
    assert.ok((await stat(join(ws.layers, 'acme_first', 'aa'))).isDirectory());
  });

  it('copies SBOM files to <layers>/sbom/{launch,build,cache}/<bp>/[<layer>/] and drops stale ones', async () => {
    assert.equal(await ws.read('layers/sbom/launch/acme_first/sbom.cdx.json'), '{"launch":true}');
    assert.equal(await ws.read('layers/sbom/build/acme_first/sbom.cdx.json'), '{"build":true}');
    assert.equal(await ws.read('layers/sbom/launch/acme_first/launchy/sbom.cdx.json'), '{"layer":"launchy"}');
    assert.equal(await ws.read('layers/sbom/cache/acme_first/launchy/sbom.cdx.json'), '{"layer":"launchy"}');
    assert.equal(await ws.read('layers/sbom/launch/acme_second/zz/sbom.spdx.json'), '{"layer":"zz"}');
    assert.equal(await ws.exists('layers/sbom/launch/stale/sbom.cdx.json'), false);
    assert.equal(await ws.exists('layers/acme_first/launchy.sbom.cdx.json'), true, 'originals stay');
  });

  it('writes <layers>/config/metadata.toml with buildpacks, processes, labels, slices and the default', async () => {
    assert.equal(result.metadataPath, join(ws.layers, 'config', 'metadata.toml'));
    const md = await readBuildMetadata(result.metadataPath);
    assert.deepEqual(md, result.metadata);
    assert.deepEqual(md.buildpacks, [
      { id: 'acme/first', version: '0.0.1', api: '0.7' },
      { id: 'acme/second', version: '0.0.2', api: '0.9' },
      { id: 'acme/third', version: '0.0.3', api: '0.10' },
    ]);
    assert.deepEqual(md.processes, [
      { type: 'web', command: ['echo hello'], args: ['a', 'b'], direct: false, buildpackId: 'acme/first' },
      {
        type: 'worker',
        command: ['worker-bin', '--always'],
        args: ['default-arg'],
        direct: true,
        buildpackId: 'acme/second',
        workingDir: '/srv',
      },
    ]);
    assert.equal(md.buildpackDefaultProcessType, 'worker', 'the last default wins');
    assert.deepEqual(md.labels, [
      { key: 'first.label', value: '1' },
      { key: 'shared.label', value: 'from-first' },
      { key: 'shared.label', value: 'from-second' },
    ]);
    assert.deepEqual(md.slices, [{ paths: ['static/*'] }, { paths: ['lib/**', 'bin/*'] }]);
    const text = await ws.read('layers/config/metadata.toml');
    assert.match(text, /^buildpack-default-process-type = "worker"$/m);
    assert.match(text, /^\[\[processes\]\]$/m, 'processes are an array of tables, never inline');
    assert.doesNotMatch(text, /default = /);
  });

  it('warns about the working-dir of an API 0.7 process and streams buildpack output', () => {
    assert.ok(
      log.lines.some(
        (l) =>
          l.startsWith('warn: ') && l.includes("working directory isn't supported") && l.includes("'web'"),
      ),
    );
    assert.ok(log.lines.includes('out: first: built\n'));
    assert.ok(log.lines.includes('err: second: built\n'));
  });
});
