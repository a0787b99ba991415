// Every phase at every supported Platform API against a real registry and Docker engine: the five phases,
// the image run by the launcher, a rebase and a creator rebuild (platform-versions/platform-0.X.md;
// platform.md "Platform API Compatibility"). One registry, one engine and one small run image are shared;
// the versions build concurrently, three at a time. Besides the e2e buildpacks, apis/bom writes the
// legacy BOM that the exporter lists before 0.9.
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildImage, type Image, mutate, remote } from '../../src/image/index.ts';
import { SUPPORTED_PLATFORM_APIS } from '../../src/platform/index.ts';
import {
  BUILDPACKS,
  cleanupLifecycle,
  creatorFlags,
  dockerRun,
  jsonLabel,
  lifecycleDir,
  ok,
  phase,
  type Workspace,
  workspace,
} from '../e2e/helpers.ts';
import { baseImage, cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';

type Version = (typeof SUPPORTED_PLATFORM_APIS)[number];
const minor = (v: string) => Number(v.split('.')[1]);

interface Outcome {
  readonly ws: Workspace;
  readonly analyzed: Record<string, unknown>;
  readonly report: Record<string, unknown>;
  readonly exporter: { stdout: string; stderr: string };
  readonly image: Image;
  readonly rebaser: { stdout: string; stderr: string };
  readonly created: Image;
  readonly creator: { stdout: string; stderr: string };
  readonly web: string;
  readonly hello: string;
}

describe('every phase at every Platform API (0.7 through 0.15)', () => {
  let reg: RegistryHandle;
  let d: Dockerd;
  let run: { name: string; ref: string };
  /** The e2e buildpacks and apis/bom, their order, and (for 0.15's system.toml) the order without e2e/runtime. */
  let fixtures: { buildpacks: string; order: string; appOnly: string; system: string };
  const outcomes = new Map<Version, Promise<Outcome>>();
  const workspaces: Workspace[] = [];

  /** analyze → detect → restore → build → export, then run, rebase and a creator rebuild, all at `v`. */
  async function buildAt(v: Version): Promise<Outcome> {
    const ws = await workspace(`matrix-${v}-`);
    workspaces.push(ws);
    const env = ws.env({ CNB_PLATFORM_API: v });
    // stack.toml before 0.12, run.toml from 0.12 (platform-0.11.md "stack.toml", platform.md "run.toml").
    const runFile =
      minor(v) < 12 ? ['-stack', join(ws.root, 'stack.toml')] : ['-run', join(ws.root, 'run.toml')];
    await writeFile(join(ws.root, 'stack.toml'), `[run-image]\nimage = "${run.name}"\n`);
    await writeFile(join(ws.root, 'run.toml'), `[[images]]\nimage = "${run.name}"\n`);
    const image = `${reg.host}/matrix/app-${v}:latest`;
    const L = ['-layers', ws.layers];
    const dirs = ['-app', ws.app, ...L, '-platform', ws.platform, '-buildpacks', fixtures.buildpacks];
    const launcher = join(await lifecycleDir(), 'launcher');
    // -insecure-registry exists from 0.13 (platform-0.13.md "analyzer" Inputs); a loopback registry is
    // plain HTTP anyway, so the flag only has to be accepted.
    const insecure = minor(v) >= 13 ? ['-insecure-registry', reg.host] : [];
    ok(await phase('analyzer', [...L, ...insecure, ...runFile, image], env), `analyzer ${v}`);
    const analyzed = await ws.readToml('layers/analyzed.toml');
    ok(await phase('detector', [...dirs, '-order', fixtures.order], env), `detector ${v}`);
    ok(await phase('restorer', [...L, '-cache-dir', ws.cache], env), `restorer ${v}`);
    ok(await phase('builder', dirs, env), `builder ${v}`);
    const exportArgs = ['-app', ws.app, ...L, '-cache-dir', ws.cache, '-launcher', launcher];
    // Something in <extended>/run: extension layers are experimental before 0.13 (D-303); the image does not
    // use it (analyzed.toml has no run-image.extend).
    await mkdir(join(ws.layers, 'extended', 'run'), { recursive: true });
    await writeFile(join(ws.layers, 'extended', 'run', 'marker'), '');
    // A launch SBOM whatever the builder wrote: the exporter adds the SBOM layer from 0.8 only.
    await mkdir(join(ws.layers, 'sbom', 'launch', 'apis_matrix'), { recursive: true });
    await writeFile(join(ws.layers, 'sbom', 'launch', 'apis_matrix', 'sbom.cdx.json'), '{}');
    const exporter = ok(
      await phase('exporter', [...exportArgs, ...runFile, image], { ...env, CNB_EXPERIMENTAL_MODE: 'warn' }),
      `exporter ${v}`,
    );
    const report = await ws.readToml('layers/report.toml');
    const built = await remote.image(image);
    const web = (await dockerRun(d, image)).stdout;
    const hello = (
      await dockerRun(d, image, { opts: ['--entrypoint', '/cnb/process/hello'], cmd: ['there'] })
    ).stdout;
    const rebased = `${reg.host}/matrix/app-${v}:rebased`;
    const rebaseReport = join(ws.root, 'rebase-report.toml');
    const rebaser = ok(
      await phase('rebaser', ['-report', rebaseReport, '-run-image', run.name, image, rebased], env),
      `rebaser ${v}`,
    );
    // A rebuild by the creator from the first image and the same cache; at 0.15 e2e/runtime comes from
    // system.toml (platform-0.15.md "detector").
    await ws.fresh();
    const system = minor(v) >= 15 ? ['-system', fixtures.system] : [];
    const order = minor(v) >= 15 ? fixtures.appOnly : fixtures.order;
    const createdRef = `${reg.host}/matrix/app-${v}:created`;
    const creator = ok(
      await phase(
        'creator',
        [
          ...(await creatorFlags(ws, order, fixtures.buildpacks)),
          ...system,
          '-cache-dir',
          ws.cache,
          '-previous-image',
          image,
          ...runFile,
          createdRef,
        ],
        env,
      ),
      `creator ${v}`,
    );
    return {
      ws,
      analyzed,
      report,
      exporter,
      image: built,
      rebaser,
      created: await remote.image(createdRef),
      creator,
      web,
      hello,
    };
  }

  before(async () => {
    [reg, d] = await Promise.all([startRegistry(), startDockerd()]);
    // The run image carries a stack ID: rebasing an app built before 0.12 checks it (platform-0.11.md
    // "rebaser"); from 0.12 the target data is checked instead.
    const base = await baseImage('matrix/run');
    const labelled = mutate(base, { config: { labels: { 'io.buildpacks.stack.id': 'io.example.matrix' } } });
    // An empty-layer history entry (a Dockerfile ENV), which the exporter leaves out from 0.12 (D-311).
    const history = [
      ...labelled.layers.map((_, i) => ({ created_by: `base layer ${i}` })),
      { created_by: 'ENV MATRIX=1', empty_layer: true },
    ];
    const image = buildImage({ config: { ...labelled.config, history }, layers: labelled.layers });
    const name = `${reg.host}/matrix/run:latest`;
    const w = await remote.write(name, image);
    run = { name, ref: `${reg.host}/matrix/run@${w.digest}` };
    const fx = await workspace('matrix-fixtures-');
    workspaces.push(fx);
    const buildpacks = join(fx.root, 'buildpacks');
    await cp(BUILDPACKS, buildpacks, { recursive: true });
    await cp(join(import.meta.dirname, '..', '..', 'testdata', 'platform-apis', 'buildpacks'), buildpacks, {
      recursive: true,
    });
    const ref = (id: string) => `[[order.group]]\nid = "${id}"\nversion = "0.0.1"\n`;
    fixtures = {
      buildpacks,
      order: join(fx.root, 'order.toml'),
      appOnly: join(fx.root, 'app-only.toml'),
      system: join(fx.root, 'system.toml'),
    };
    await writeFile(fixtures.order, `[[order]]\n${ref('e2e/runtime')}${ref('e2e/app')}${ref('apis/bom')}`);
    await writeFile(fixtures.appOnly, `[[order]]\n${ref('e2e/app')}${ref('apis/bom')}`);
    await writeFile(fixtures.system, '[[system.pre.buildpacks]]\nid = "e2e/runtime"\nversion = "0.0.1"\n');
    const queue = [...SUPPORTED_PLATFORM_APIS];
    const lanes = [0, 1, 2].map(async () => {
      for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
        const p = buildAt(v);
        outcomes.set(v, p);
        await p.catch(() => {});
      }
    });
    // Every version's promise exists before the first `it` awaits it.
    await new Promise((r) => setImmediate(r));
    void Promise.all(lanes);
  });
  after(async () => {
    await Promise.allSettled([...outcomes.values()]);
    await Promise.all([reg?.stop(), d?.stop(), ...workspaces.map((w) => w.cleanup())]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  const outcome = async (v: Version): Promise<Outcome> => {
    for (let i = 0; !outcomes.has(v); i++) await new Promise((r) => setTimeout(r, 100 + i));
    return outcomes.get(v)!;
  };

  for (const v of SUPPORTED_PLATFORM_APIS) {
    it(`Platform API ${v}: analyzer, detector, restorer, builder, exporter, launcher, rebaser, creator`, async () => {
      const o = await outcome(v);
      // analyzed.toml: [run-image] image and target from 0.12 (platform.md "analyzed.toml"); the
      // reference only before (platform-0.11.md "analyzed.toml").
      const ri = o.analyzed['run-image'] as Record<string, unknown>;
      assert.equal(ri['reference'], run.ref);
      if (minor(v) >= 12) {
        assert.equal(ri['image'], run.name);
        assert.equal((ri['target'] as Record<string, unknown>)['os'], 'linux');
      } else {
        assert.deepEqual(Object.keys(ri), ['reference']);
      }
      // The exported image records its Platform API, and the run image in the lifecycle metadata label:
      // runImage.image from 0.12 (platform.md "Labels"), stack.runImage at every version.
      assert.ok(
        o.image.config.config.Env?.includes(`CNB_PLATFORM_API=${v}`),
        String(o.image.config.config.Env),
      );
      const lc = jsonLabel(o.image, 'io.buildpacks.lifecycle.metadata') as {
        runImage: Record<string, unknown>;
        stack: { runImage: Record<string, unknown> };
      };
      assert.equal(lc.stack.runImage['image'], run.name);
      assert.equal(lc.runImage['image'], minor(v) >= 12 ? run.name : undefined);
      assert.equal(lc.runImage['reference'], run.ref);
      // platform-0.15.md "Execution Environment": the exec-env label from 0.15 (D-308).
      const labels = o.image.config.config.Labels ?? {};
      assert.equal(labels['io.buildpacks.exec-env'], minor(v) >= 15 ? 'production' : undefined);
      // The launcher runs the default process at this version (platform.md "launcher").
      assert.equal(
        o.web,
        `app: Hello, app! mode=production execd=set-by-exec.d cwd=${o.ws.app} args=serve\n`,
      );
      // User args are appended before 0.10, replace the process's args from 0.10 (platform-0.10.md "launcher").
      assert.equal(o.hello, minor(v) < 10 ? 'Hello, world there!\n' : 'Hello, there!\n');
      assert.match(o.rebaser.stdout, /Rebased/);
      // io.buildpacks.build.metadata: the legacy launch BOM before 0.9 (platform-0.8.md "Labels"), none
      // after; a process `command` is a string before 0.10, its other entries leading `args`
      // (platform-0.9.md "Labels"; D-311), an array from 0.10 (platform-0.10.md "Labels").
      const bm = jsonLabel(o.image, 'io.buildpacks.build.metadata') as {
        bom?: unknown;
        processes: { type: string; command: unknown; args: string[] }[];
      };
      const bomOf = (name: string, version: string) => [
        { name, metadata: { version }, buildpack: { id: 'apis/bom', version: '0.0.1' } },
      ];
      assert.deepEqual(bm.bom, minor(v) < 9 ? bomOf('launch-dep', '1.0.0') : undefined);
      const where = bm.processes.find((p) => p.type === 'where')!;
      if (minor(v) < 10) {
        assert.equal(where.command, 'sh');
        assert.equal(where.args[0], '-c');
      } else {
        assert.deepEqual((where.command as string[]).slice(0, 2), ['sh', '-c']);
        assert.deepEqual(where.args, []);
      }
      // platform-0.8.md "exporter": the SBOM layer from 0.8.
      const sbomLabel = (jsonLabel(o.image, 'io.buildpacks.lifecycle.metadata') as { sbom?: unknown }).sbom;
      assert.equal(sbomLabel !== undefined, minor(v) >= 8);
      const dockerfiles = /Platform requested experimental feature 'Dockerfiles'/;
      if (minor(v) < 13) assert.match(o.exporter.stderr, dockerfiles);
      else assert.doesNotMatch(o.exporter.stderr, dockerfiles);
      // report.toml `[build]` lists the build BOM before 0.9 (platform-0.8.md "report.toml").
      assert.deepEqual(o.report['build'], minor(v) < 9 ? { bom: bomOf('build-dep', '2.0.0') } : undefined);
      // History: only `created` before 0.12, `created_by` per layer from 0.12 (D-311).
      const history = o.image.config.history ?? [];
      assert.equal(history.length, o.image.layers.length);
      if (minor(v) < 12)
        assert.ok(
          history.every((h) => Object.keys(h).join() === 'created'),
          JSON.stringify(history),
        );
      else {
        assert.ok(history.some((h) => /Created by buildpack: e2e\/runtime@0.0.1/.test(h.created_by ?? '')));
        assert.equal(history[0]?.created_by, 'base layer 0');
        assert.ok(history.every((h) => !h.empty_layer));
      }
      // The creator's rebuild restored the cache at this version (platform.md "restorer").
      assert.match(o.creator.stdout, /Restoring data for "e2e\/runtime:runtime" from cache/);
      assert.ok(o.created.config.config.Env?.includes(`CNB_PLATFORM_API=${v}`));
      const created = jsonLabel(o.created, 'io.buildpacks.build.metadata') as {
        buildpacks: { id: string }[];
      };
      assert.deepEqual(
        created.buildpacks.map((b) => b.id),
        ['e2e/runtime', 'e2e/app', 'apis/bom'],
      );
    });
  }
});
