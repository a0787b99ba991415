import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  analyzer,
  baseEnv,
  basicAuth,
  output,
  PASS,
  PREVIOUS_METADATA,
  previousAppImage,
  readAnalyzedToml,
  runImage,
  sbomLayer,
  USER,
  workspace,
  writeRunToml,
} from './helpers.ts';

/** Black-box: dist/lifecycle/analyzer against real registries (docs/reference-behaviour.md §1). */
describe('analyzer (registry)', () => {
  let a: RegistryHandle; // anonymous
  let b: RegistryHandle; // anonymous, "another registry"
  let s: RegistryHandle; // htpasswd
  let ws: Awaited<ReturnType<typeof workspace>>;
  let run: Image;
  let prev: Image;
  const sAuth = () => JSON.stringify({ [s.host]: basicAuth });

  before(async () => {
    [a, b, s] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startRegistry({ auth: { user: USER, pass: PASS } }),
    ]);
    ws = await workspace();
    run = await runImage({
      'io.buildpacks.base.id': 'io.example.run',
      'io.buildpacks.base.distro.name': 'busybox',
      'io.buildpacks.base.distro.version': '1.36',
    });
    prev = await previousAppImage(run, PREVIOUS_METADATA);
    const sOpts = { env: { CNB_REGISTRY_AUTH: sAuth() } };
    await Promise.all([
      remote.write(`${a.host}/run/base:v1`, run),
      remote.write(`${b.host}/run/base:v1`, run),
      remote.write(`${a.host}/app/prev:latest`, prev),
      remote.write(`${s.host}/run/base:v1`, run, sOpts),
      remote.write(`${s.host}/app/prev:latest`, prev, sOpts),
    ]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), s?.stop()]);
    await ws?.cleanup();
    await cleanupFixtures();
  });

  let n = 0;
  const layersDir = async () => {
    const d = join(ws.dir, `layers-${++n}`);
    await mkdir(d);
    return d;
  };

  it('missing previous image is fine; run image reference, name and target are recorded', async () => {
    const layers = await layersDir();
    const r = await analyzer(
      ['-layers', layers, '-run-image', `${a.host}/run/base:v1`, `${a.host}/app/new:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 0, output(r));
    assert.match(r.stdout, new RegExp(`Image with name "${a.host}/app/new:latest" not found`));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, '');
    assert.equal(t['run-image']?.reference, `${a.host}/run/base@${run.digest}`);
    assert.equal(t['run-image']?.image, `${a.host}/run/base:v1`);
    assert.deepEqual(t['run-image']?.target, {
      id: 'io.example.run',
      os: 'linux',
      arch: 'amd64',
      distro: { name: 'busybox', version: '1.36' },
    });
  });

  it('previous image: identifier in [image], its lifecycle metadata label in [metadata]', async () => {
    const layers = await layersDir();
    const analyzed = join(ws.dir, `some-dir-${n}`, 'some-analyzed.toml');
    const r = await analyzer(
      [
        '-layers',
        layers,
        '-analyzed',
        analyzed,
        '-previous-image',
        `${a.host}/app/prev:latest`,
        '-run-image',
        `${a.host}/run/base:v1`,
        `${a.host}/app/next:latest`,
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(analyzed);
    assert.equal(t.image?.reference, `${a.host}/app/prev@${prev.digest}`);
    assert.deepEqual(t.metadata, {
      app: [{ sha: 'sha256:aaaa' }],
      config: { sha: 'sha256:cccc' },
      launcher: { sha: 'sha256:llll' },
      'process-types': { sha: 'sha256:pppp' },
      buildpacks: [
        {
          key: 'example/node',
          version: '1.2.3',
          layers: {
            modules: {
              sha: 'sha256:mmmm',
              metadata: { lock: 'abc' },
              build: false,
              launch: true,
              cache: true,
            },
          },
          store: { metadata: { counter: 2 } },
        },
      ],
      'run-image': {
        'top-layer': 'sha256:tttt',
        reference: 'run@sha256:rrrr',
        image: 'run:v1',
        mirrors: ['m/run:v1'],
      },
    });
  });

  it('-previous-image defaults to the output image; -tag with write access succeeds', async () => {
    const layers = await layersDir();
    const r = await analyzer(
      [
        '-layers',
        layers,
        '-tag',
        `${a.host}/app/prev:other`,
        '-run-image',
        `${a.host}/run/base:v1`,
        `${a.host}/app/prev:latest`,
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, `${a.host}/app/prev@${prev.digest}`);
  });

  it('run.toml: prefers a readable mirror on the app image registry', async () => {
    const runToml = join(ws.dir, 'run-mirrors.toml');
    await writeRunToml(runToml, { image: `${b.host}/run/base:v1`, mirrors: [`${a.host}/run/base:v1`] });
    for (const [app, want] of [
      [`${a.host}/app/x:latest`, `${a.host}/run/base`],
      [`${b.host}/app/x:latest`, `${b.host}/run/base`],
      ['127.0.0.1:1/app/x:latest', `${b.host}/run/base`], // no candidate on that registry: the first readable
    ] as const) {
      const layers = await layersDir();
      const r = await analyzer(
        ['-layers', layers, '-log-level', 'debug', '-run', runToml, app],
        baseEnv(ws.dir),
      );
      assert.match(r.stdout, new RegExp(`Run image: ${want}:v1`), output(r));
      if (app.startsWith('127.0.0.1:1/')) {
        // the app registry is unreachable: run image resolution succeeded, the access check then fails
        assert.equal(r.code, 32, output(r));
        continue;
      }
      assert.equal(r.code, 0, output(r));
      const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
      assert.equal(t['run-image']?.reference, `${want}@${run.digest}`, app);
      assert.equal(t['run-image']?.image, `${want}:v1`);
    }
  });

  it('run.toml: skips unreadable candidates, fails with exit 3 when none is readable', async () => {
    const runToml = join(ws.dir, 'run-auth.toml');
    await writeRunToml(
      runToml,
      { image: `${s.host}/run/base:v1`, mirrors: [`${b.host}/run/base:v1`] },
      { image: `${a.host}/run/base:v1` },
    );
    let layers = await layersDir();
    let r = await analyzer(
      ['-layers', layers, '-log-level', 'debug', '-run', runToml, `${s.host}/app/x:latest`],
      baseEnv(ws.dir),
    );
    // the same-registry image is not readable anonymously: the first readable one (the mirror) is used;
    // the app image on the auth registry then fails the access check
    assert.match(r.stdout, new RegExp(`Run image: ${b.host}/run/base:v1`), output(r));
    assert.equal(r.code, 32, output(r));
    assert.match(output(r), new RegExp(`ensure registry read access to ${s.host}/app/x:latest`));

    const onlyAuth = join(ws.dir, 'run-only-auth.toml');
    await writeRunToml(onlyAuth, { image: `${s.host}/run/base:v1`, mirrors: [`${s.host}/run/mirror:v1`] });
    layers = await layersDir();
    r = await analyzer(['-layers', layers, '-run', onlyAuth, `${a.host}/app/x:latest`], baseEnv(ws.dir));
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /ERROR: failed to resolve inputs: failed to find accessible run image/);

    layers = await layersDir();
    r = await analyzer(['-layers', layers, '-run', runToml, `${a.host}/app/x:latest`], baseEnv(ws.dir));
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t['run-image']?.image, `${b.host}/run/base:v1`, 'only the first [[images]] entry is used');
  });

  it('no run.toml and no -run-image: exit 3', async () => {
    const r = await analyzer(
      ['-layers', await layersDir(), '-run', join(ws.dir, 'missing-run.toml'), `${a.host}/app/x:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /-run-image is required when there is no run metadata available/);
  });

  it('CNB_RUN_IMAGE is used when -run-image is not given', async () => {
    const layers = await layersDir();
    const r = await analyzer(
      ['-layers', layers, `${a.host}/app/x:latest`],
      baseEnv(ws.dir, { CNB_RUN_IMAGE: `${b.host}/run/base:v1` }),
    );
    assert.equal(r.code, 0, output(r));
    const t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.match(t['run-image']?.reference ?? '', new RegExp(`^${b.host}/run/base@sha256:`));
  });

  it('authenticated registry: CNB_REGISTRY_AUTH and docker config.json', async () => {
    const args = (layers: string) => [
      '-layers',
      layers,
      '-tag',
      `${s.host}/app/prev:t2`,
      '-run-image',
      `${s.host}/run/base:v1`,
      `${s.host}/app/prev:latest`,
    ];
    let layers = await layersDir();
    let r = await analyzer(args(layers), baseEnv(ws.dir, { CNB_REGISTRY_AUTH: sAuth() }));
    assert.equal(r.code, 0, output(r));
    let t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t.image?.reference, `${s.host}/app/prev@${prev.digest}`);
    assert.equal(t['run-image']?.reference, `${s.host}/run/base@${run.digest}`);
    assert.ok(!output(r).includes(PASS), 'no credential in the output');

    const dockerConfig = join(ws.dir, 'docker-config');
    await mkdir(dockerConfig, { recursive: true });
    const authB64 = Buffer.from(`${USER}:${PASS}`).toString('base64');
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [s.host]: { auth: authB64 } } }),
    );
    layers = await layersDir();
    r = await analyzer(args(layers), baseEnv(ws.dir, { DOCKER_CONFIG: dockerConfig }));
    assert.equal(r.code, 0, output(r));
    t = await readAnalyzedToml(join(layers, 'analyzed.toml'));
    assert.equal(t['run-image']?.reference, `${s.host}/run/base@${run.digest}`);
  });

  it('no read access to the run image: exit 32 naming the image and registry', async () => {
    const r = await analyzer(
      ['-layers', await layersDir(), '-run-image', `${s.host}/run/base:v1`, `${a.host}/app/x:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 32, output(r));
    assert.match(
      r.stderr,
      new RegExp(`validating registry read access: ensure registry read access to ${s.host}/run/base:v1`),
    );
    assert.match(r.stderr, /HTTP 401/);
  });

  it('no write access to the output image / tags: exit 32', async () => {
    const r = await analyzer(
      [
        '-layers',
        await layersDir(),
        '-previous-image',
        `${a.host}/app/prev:latest`,
        '-run-image',
        `${a.host}/run/base:v1`,
        '-tag',
        `${s.host}/app/x:t2`,
        `${s.host}/app/x:latest`,
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 32, output(r));
    assert.match(r.stderr, new RegExp(`ensure registry read/write access to ${s.host}/app/x:latest`));
  });

  it('cache image without write access: exit 32', async () => {
    const r = await analyzer(
      [
        '-layers',
        await layersDir(),
        '-cache-image',
        `${s.host}/cache:latest`,
        '-run-image',
        `${a.host}/run/base:v1`,
        `${a.host}/app/x:latest`,
      ],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 32, output(r));
    assert.match(r.stderr, new RegExp(`ensure registry read/write access to ${s.host}/cache:latest`));
  });

  it('unreachable registry: exit 32 with the registry named', async () => {
    const r = await analyzer(
      ['-layers', await layersDir(), '-run-image', '127.0.0.1:1/run/base:v1', `${a.host}/app/x:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 32, output(r));
    assert.match(r.stderr, /ensure registry read access to 127\.0\.0\.1:1\/run\/base:v1/);
    assert.match(r.stderr, /127\.0\.0\.1:1/);
  });

  it('SBOM layer of the previous image restored into <layers>/sbom (owned by the build user), unless -skip-layers', async () => {
    const sbom = await sbomLayer(ws.dir);
    const withSbom = await previousAppImage(run, { ...PREVIOUS_METADATA, sbom: { sha: sbom.diffID } }, [
      sbom,
    ]);
    await remote.write(`${a.host}/app/sbom:latest`, withSbom);
    const args = (layers: string, ...extra: string[]) => [
      '-layers',
      layers,
      ...extra,
      '-run-image',
      `${a.host}/run/base:v1`,
      `${a.host}/app/sbom:latest`,
    ];
    let layers = await layersDir();
    let r = await analyzer(args(layers), baseEnv(ws.dir, { CNB_USER_ID: '2222', CNB_GROUP_ID: '3333' }));
    assert.equal(r.code, 0, output(r));
    assert.match(r.stdout, /Restoring data for SBOM from previous image/);
    const file = join(layers, 'sbom', 'launch', 'example_node', 'sbom.cdx.json');
    assert.equal(await readFile(file, 'utf8'), '{"bomFormat":"CycloneDX"}\n');
    for (const p of [file, join(layers, 'sbom'), join(layers, 'analyzed.toml')]) {
      const st = await stat(p);
      assert.deepEqual([st.uid, st.gid], [2222, 3333], p);
    }
    assert.deepEqual((await readdir(layers)).sort(), ['analyzed.toml', 'sbom']);

    layers = await layersDir();
    r = await analyzer(args(layers, '-skip-layers'), baseEnv(ws.dir));
    assert.equal(r.code, 0, output(r));
    assert.doesNotMatch(r.stdout, /Restoring data for SBOM/);
    assert.deepEqual(await readdir(layers), ['analyzed.toml']);
  });

  it('unparsable references and multiple registries: exit 3', async () => {
    let r = await analyzer(['-run-image', `${a.host}/run/base:v1`, 'Not A Ref!'], baseEnv(ws.dir));
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /failed to resolve inputs/);
    r = await analyzer(['-run-image', 'bad::ref', `${a.host}/app/x:latest`], baseEnv(ws.dir));
    assert.equal(r.code, 3, output(r));
    r = await analyzer(
      ['-tag', `${b.host}/app/x:t`, '-run-image', `${a.host}/run/base:v1`, `${a.host}/app/x:latest`],
      baseEnv(ws.dir),
    );
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /writing to multiple registries is unsupported/);
    r = await analyzer([], baseEnv(ws.dir));
    assert.equal(r.code, 3, output(r));
  });
});
