import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readReport } from '../../src/files/index.ts';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { cleanupDist, exporter, type Fixture, fixture, METADATA, ok, pushRunImage } from './helpers.ts';

// platform.md "exporter" Inputs/Outputs; docs/reference-behaviour.md §6 "Config, labels and env", "Save and report".
describe('exporter options', () => {
  let reg: RegistryHandle;
  let run: { ref: string; image: Image };
  let fx: Fixture;
  const label = (img: Image, k: string) => JSON.parse(img.config.config.Labels?.[k] ?? 'null');

  before(async () => {
    reg = await startRegistry();
    run = await pushRunImage(reg.host);
  });
  after(async () => {
    await reg?.stop();
    await cleanupFixtures();
    await cleanupDist();
  });
  const fresh = async (meta = METADATA) => {
    await fx?.cleanup();
    fx = await fixture(meta);
    await fx.analyzed(run.ref, `${reg.host}/run:latest`);
  };
  after(() => fx?.cleanup());

  it('writes the same image to every tag and lists them in report.toml', async () => {
    await fresh();
    const tags = [`${reg.host}/multi:a`, `${reg.host}/multi:b`, `${reg.host}/other:c`];
    const r = ok(await exporter([...fx.flags(), ...tags]));
    for (const t of tags) assert.ok(r.stdout.includes(`      ${t}\n`), r.stdout);
    const digests = await Promise.all(tags.map(async (t) => (await remote.image(t)).digest));
    assert.equal(new Set(digests).size, 1);
    const report = await readReport(join(fx.layers, 'report.toml'));
    assert.deepEqual(report.image.tags, tags);
    assert.equal(report.image.digest, digests[0]);
  });

  it('uses SOURCE_DATE_EPOCH for created; two exports of the same inputs give the same digest', async () => {
    await fresh();
    const env = { SOURCE_DATE_EPOCH: '1641359105' };
    ok(await exporter([...fx.flags(), `${reg.host}/epoch:1`], env));
    ok(await exporter([...fx.flags(), `${reg.host}/epoch:2`], env));
    const [a, b] = await Promise.all([
      remote.image(`${reg.host}/epoch:1`),
      remote.image(`${reg.host}/epoch:2`),
    ]);
    assert.equal(a.config.created, '2022-01-05T05:05:05Z');
    assert.ok((a.config.history ?? []).every((h) => h.created === '2022-01-05T05:05:05Z'));
    assert.equal(a.digest, b.digest);
    const bad = ok(await exporter([...fx.flags(), `${reg.host}/epoch:3`], { SOURCE_DATE_EPOCH: 'soon' }));
    assert.match(bad.stderr, /Ignoring invalid SOURCE_DATE_EPOCH/);
    assert.equal((await remote.image(`${reg.host}/epoch:3`)).config.created, '1980-01-01T00:00:01Z');
  });

  it('-process-type sets the entrypoint; an unknown type fails with 62', async () => {
    await fresh();
    const r = ok(await exporter([...fx.flags(), '-process-type', 'worker', `${reg.host}/pt:1`]));
    assert.match(r.stdout, /Setting default process type 'worker'/);
    const img = await remote.image(`${reg.host}/pt:1`);
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/process/worker']);
    assert.ok(!(img.config.config.Env ?? []).some((e) => e.startsWith('CNB_PROCESS_TYPE=')));
    const bad = await exporter([...fx.flags(), '-process-type', 'nope', `${reg.host}/pt:2`]);
    assert.equal(bad.code, 62, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /tried to set nope to default but it doesn't exist/);
  });

  it('without processes: the launcher is the entrypoint and there is no process-types layer', async () => {
    await fresh({ ...METADATA, processes: [], buildpackDefaultProcessType: undefined as never });
    const r = ok(await exporter([...fx.flags(), `${reg.host}/noproc:1`]));
    assert.match(r.stdout, /no default process type/);
    const img = await remote.image(`${reg.host}/noproc:1`);
    assert.deepEqual(img.config.config.Entrypoint, ['/cnb/lifecycle/launcher']);
    const lcm = label(img, 'io.buildpacks.lifecycle.metadata');
    assert.equal(lcm['process-types'] ?? lcm.processTypes, undefined);
    assert.equal(img.config.history?.at(-1)?.created_by, 'Buildpacks Launcher Config');
  });

  it('splits the app into slice layers and reuses unchanged slices', async () => {
    await fresh({ ...METADATA, slices: [{ paths: ['src/*'] }, { paths: ['nothing-*'] }] });
    await fx.write('workspace/src/deep/x.txt', 'x\n');
    ok(await exporter([...fx.flags(), `${reg.host}/slices:1`]));
    const img = await remote.image(`${reg.host}/slices:1`);
    const lc = label(img, 'io.buildpacks.lifecycle.metadata');
    assert.equal(lc.app.length, 3);
    const history = (img.config.history ?? []).map((h) => h.created_by);
    assert.ok(history.includes('Application Slice: 1') && history.includes('Application Slice: 3'));
    const names = async (diffID: string) => {
      const i = img.config.rootfs.diff_ids.indexOf(diffID);
      const { extract } = await import('tar-stream');
      const ex = extract();
      const out: string[] = [];
      ex.on('entry', (h, s, next) => {
        out.push(h.name);
        s.resume();
        s.on('end', next);
      });
      (await img.layers[i]!.uncompressed()).pipe(ex);
      await new Promise<void>((res) => ex.on('finish', () => res()));
      return out.filter((n) => n.startsWith(fx.app));
    };
    assert.deepEqual(await names(lc.app[0].sha), [
      fx.app,
      `${fx.app}/src`,
      `${fx.app}/src/deep`,
      `${fx.app}/src/deep/x.txt`,
      `${fx.app}/src/main.txt`,
    ]);
    assert.deepEqual(await names(lc.app[1].sha), []);
    assert.deepEqual(await names(lc.app[2].sha), [fx.app, `${fx.app}/message.txt`]);
    // Change only the remainder: the slice layers are reused.
    await fx.write('workspace/message.txt', 'changed\n');
    await fx.analyzed(run.ref, `${reg.host}/run:latest`, {
      ref: `${reg.host}/slices@${img.digest}`,
      label: img.config.config.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '',
    });
    const r = ok(await exporter([...fx.flags(), `${reg.host}/slices:2`]));
    assert.match(r.stdout, /Reused 2\/3 app layer\(s\)/);
    assert.match(r.stdout, /Added 1\/3 app layer\(s\)/);
  });

  it('adds the launch SBOM layer, copies lifecycle SBOMs and leaves build SBOMs in <layers>/sbom/build', async () => {
    await fresh();
    await fx.write('layers/sbom/launch/example_hello/hello/sbom.cdx.json', '{"bomFormat":"CycloneDX"}');
    await fx.write('layers/sbom/build/example_hello/sbom.cdx.json', '{"build":true}');
    const sboms = join(fx.root, 'cnb-lifecycle');
    await mkdir(sboms, { recursive: true });
    await writeFile(join(sboms, 'launcher.sbom.cdx.json'), '{"launcher":true}');
    await writeFile(join(sboms, 'lifecycle.sbom.spdx.json'), '{"lifecycle":true}');
    const flags = fx.flags();
    flags[flags.indexOf('-launcher-sbom') + 1] = sboms;
    ok(await exporter([...flags, `${reg.host}/sbom:1`]));
    const img = await remote.image(`${reg.host}/sbom:1`);
    const lc = label(img, 'io.buildpacks.lifecycle.metadata');
    assert.match(lc.sbom.sha, /^sha256:/);
    assert.ok(img.config.history?.some((h) => h.created_by === 'Software Bill-of-Materials'));
    assert.equal(
      await readFile(join(fx.layers, 'sbom/launch/buildpacksio_lifecycle/launcher/sbom.cdx.json'), 'utf8'),
      '{"launcher":true}',
    );
    assert.equal(
      await readFile(join(fx.layers, 'sbom/build/buildpacksio_lifecycle/sbom.spdx.json'), 'utf8'),
      '{"lifecycle":true}',
    );
    assert.equal(await fx.read('layers/sbom/build/example_hello/sbom.cdx.json'), '{"build":true}');
  });

  it('owns generated layer files by CNB_USER_ID/CNB_GROUP_ID, parents by their real owner', async () => {
    await fresh();
    const env = { CNB_USER_ID: '1234', CNB_GROUP_ID: '2345' };
    const { chmod } = await import('node:fs/promises');
    await chmod(fx.root, 0o755); // mkdtemp makes it 0700; the build user must reach <layers> and <app>
    ok(await exporter([...fx.flags(), `${reg.host}/owner:1`], env));
    const img = await remote.image(`${reg.host}/owner:1`);
    const lc = label(img, 'io.buildpacks.lifecycle.metadata');
    const i = img.config.rootfs.diff_ids.indexOf(lc.buildpacks[0].layers.hello.sha);
    const { extract } = await import('tar-stream');
    const ex = extract();
    const owners = new Map<string, string>();
    ex.on('entry', (h, s, next) => {
      owners.set(h.name, `${h.uid}:${h.gid}:${h.mtime?.toISOString()}`);
      s.resume();
      s.on('end', next);
    });
    (await img.layers[i]!.uncompressed()).pipe(ex);
    await new Promise<void>((res) => ex.on('finish', () => res()));
    const t = '1980-01-01T00:00:01.000Z';
    assert.equal(owners.get(`${fx.bpDir}/hello/bin/hello`), `1234:2345:${t}`);
    assert.equal(owners.get(`${fx.bpDir}/hello`), `1234:2345:${t}`);
    const { stat } = await import('node:fs/promises');
    const st = await stat(fx.root);
    assert.equal(owners.get(fx.root), `${st.uid}:${st.gid}:${t}`);
  });

  it('fails with 62 naming the registry when the run image registry is unreachable', async () => {
    await fresh();
    const digest = run.ref.slice(run.ref.indexOf('@') + 1);
    await fx.analyzed(`127.0.0.1:9/run@${digest}`, '127.0.0.1:9/run:latest');
    const r = await exporter([...fx.flags(), `${reg.host}/unreachable:1`]);
    assert.equal(r.code, 62, r.stdout + r.stderr);
    assert.match(r.stderr, /127\.0\.0\.1:9/);
  });

  it('exits 3 without images or without a run image in analyzed.toml', async () => {
    await fresh();
    const none = await exporter(fx.flags());
    assert.equal(none.code, 3, none.stdout + none.stderr);
    await fx.write('layers/analyzed.toml', '[image]\n  reference = ""\n');
    const r = await exporter([...fx.flags(), `${reg.host}/norun:1`]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /run image not found in analyzed metadata/);
  });

  it('fails with 62 for a launch+cache layer without contents', async () => {
    await fresh();
    await fx.write('layers/example_hello/empty.toml', '[types]\n  launch = true\n  cache = true\n');
    const r = await exporter([...fx.flags(), `${reg.host}/empty:1`]);
    assert.equal(r.code, 62, r.stdout + r.stderr);
    assert.match(r.stderr, /layer 'example\/hello:empty' is cache=true but has no contents/);
  });
});
