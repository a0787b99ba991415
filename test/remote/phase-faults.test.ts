import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Image, remote } from '../../src/image/index.ts';
import {
  analyzer,
  baseEnv,
  output,
  PREVIOUS_METADATA,
  previousAppImage,
  readAnalyzedToml,
  runImage,
  workspace,
  writeRunToml,
} from '../analyzer/helpers.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';

/**
 * Black box (issue 9 item 2): the built analyzer and restorer behind the fault proxy in front of a real
 * registry. Small bodies (manifests, configs) cut mid-body or closed early are retried; failures that
 * outlast the retries name registry, repository and tag and carry the phase's exit code.
 */
describe('phases under registry faults (fault proxy, real registry)', () => {
  let reg: RegistryHandle;
  let proxy: FaultProxy;
  let ws: Awaited<ReturnType<typeof workspace>>;
  let prev: Image;
  let n = 0;
  const dir = async (name: string) => {
    const d = join(ws.dir, `${name}-${++n}`);
    await mkdir(d, { recursive: true });
    return d;
  };

  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.host);
    ws = await workspace();
    const run = await runImage({ 'io.buildpacks.base.id': 'io.example.run' });
    prev = await previousAppImage(run, PREVIOUS_METADATA);
    await remote.write(`${reg.host}/run/base:v1`, run);
    await remote.write(`${reg.host}/app/prev:latest`, prev);
    await remote.write(`${reg.host}/cache/img:latest`, run);
  });
  beforeEach(() => proxy.clearRules());
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    await ws?.cleanup();
    await cleanupFixtures();
  });

  it('analyzer: a manifest cut mid-body and a config closed early are retried (exit 0)', async () => {
    const layers = await dir('layers');
    proxy.addRule({
      method: 'GET',
      path: '/app/prev/manifests/latest',
      action: { kind: 'cut-response', bytes: 60 },
    });
    proxy.addRule({
      method: 'GET',
      path: `/app/prev/blobs/${prev.manifest.config.digest}`,
      action: { kind: 'close-response', bytes: 40 },
    });
    const n0 = proxy.log.length;
    const r = await analyzer(
      [
        '-layers',
        layers,
        '-previous-image',
        `${proxy.host}/app/prev:latest`,
        '-run-image',
        `${proxy.host}/run/base:v1`,
        `${proxy.host}/app/next:latest`,
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 0, output(r));
    assert.equal(proxy.log.slice(n0).filter((e) => e.fault !== undefined).length, 2, 'both faults hit');
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, `${proxy.host}/app/prev@${prev.digest}`);
  });

  it('analyzer: a run image whose /v2/ answers 500 is reported with the registry answer (exit 3)', async () => {
    const layers = await dir('layers');
    const runToml = join(await dir('run'), 'run.toml');
    await writeRunToml(runToml, { image: `${proxy.host}/run/base:v1` });
    proxy.addRule({
      method: 'GET',
      path: /^\/v2\/$/,
      action: { kind: 'status', status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"db down"}]}' },
      times: 1000,
    });
    const r = await analyzer(
      ['-layers', layers, '-run', runToml, `${reg.host}/app/next:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 3, output(r));
    const out = output(r);
    assert.match(
      out,
      new RegExp(
        `registry ${proxy.host}, repository run/base: .*v1.* failed with HTTP 500 \\(UNKNOWN: db down\\)`,
      ),
    );
    assert.doesNotMatch(out, /\n\s+at /, 'no stack trace');
  });

  describe('restorer -cache-image', () => {
    let group: string;
    before(async () => {
      group = join(await dir('group'), 'group.toml');
      await writeFile(group, '[[group]]\nid = "example/node"\nversion = "1.2.3"\napi = "0.10"\n');
    });

    it('a cache image manifest cut mid-body is retried (exit 0)', async () => {
      const layers = await dir('layers');
      proxy.addRule({
        method: 'GET',
        path: '/cache/img/manifests/latest',
        action: { kind: 'cut-response', bytes: 50 },
      });
      const n0 = proxy.log.length;
      const r = await runPhase(
        'restorer',
        ['-layers', layers, '-group', group, '-cache-image', `${proxy.host}/cache/img:latest`],
        baseEnv(ws.dir),
      );
      assert.equal(r.code, 0, output(r));
      assert.equal(proxy.log.slice(n0).filter((e) => e.fault === 'cut-response').length, 1);
    });

    it('a cache image manifest answering 5xx after the retries exits 42, naming registry, repository and tag', async () => {
      const layers = await dir('layers');
      proxy.addRule({
        path: '/cache/img/manifests/latest',
        action: { kind: 'status', status: 503 },
        times: 1000,
      });
      const r = await runPhase(
        'restorer',
        ['-layers', layers, '-group', group, '-cache-image', `${proxy.host}/cache/img:latest`],
        baseEnv(ws.dir),
      );
      assert.equal(r.code, 42, output(r));
      assert.match(
        r.stderr,
        new RegExp(
          `registry ${proxy.host}, repository cache/img: check manifest latest failed with HTTP 503 .*after 5 attempts`,
        ),
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  });
});
