// Every phase at every supported Platform API against a real registry and Docker engine: the five phases,
// the image run by the launcher, a rebase and a creator rebuild (platform-versions/platform-0.X.md;
// platform.md "Platform API Compatibility"). One registry, one engine and one small run image are shared;
// the versions build concurrently, three at a time.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Image, mutate, remote } from '../../src/image/index.ts';
import { SUPPORTED_PLATFORM_APIS } from '../../src/platform/index.ts';
import {
  BUILDPACKS,
  cleanupLifecycle,
  creatorFlags,
  dockerRun,
  jsonLabel,
  lifecycleDir,
  ORDER,
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
    const dirs = ['-app', ws.app, ...L, '-platform', ws.platform, '-buildpacks', BUILDPACKS];
    const launcher = join(await lifecycleDir(), 'launcher');
    ok(await phase('analyzer', [...L, ...runFile, image], env), `analyzer ${v}`);
    const analyzed = await ws.readToml('layers/analyzed.toml');
    ok(await phase('detector', [...dirs, '-order', ORDER], env), `detector ${v}`);
    ok(await phase('restorer', [...L, '-cache-dir', ws.cache], env), `restorer ${v}`);
    ok(await phase('builder', dirs, env), `builder ${v}`);
    const exportArgs = ['-app', ws.app, ...L, '-cache-dir', ws.cache, '-launcher', launcher];
    ok(await phase('exporter', [...exportArgs, ...runFile, image], env), `exporter ${v}`);
    const built = await remote.image(image);
    const web = (await dockerRun(d, image)).stdout;
    const hello = (
      await dockerRun(d, image, { opts: ['--entrypoint', '/cnb/process/hello'], cmd: ['there'] })
    ).stdout;
    const rebased = `${reg.host}/matrix/app-${v}:rebased`;
    const report = join(ws.root, 'rebase-report.toml');
    const rebaser = ok(
      await phase('rebaser', ['-report', report, '-run-image', run.name, image, rebased], env),
      `rebaser ${v}`,
    );
    // A rebuild by the creator from the first image and the same cache.
    await ws.fresh();
    const createdRef = `${reg.host}/matrix/app-${v}:created`;
    const creator = ok(
      await phase(
        'creator',
        [
          ...(await creatorFlags(ws)),
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
    const image = mutate(base, { config: { labels: { 'io.buildpacks.stack.id': 'io.example.matrix' } } });
    const name = `${reg.host}/matrix/run:latest`;
    const w = await remote.write(name, image);
    run = { name, ref: `${reg.host}/matrix/run@${w.digest}` };
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
      // The creator's rebuild restored the cache at this version (platform.md "restorer").
      assert.match(o.creator.stdout, /Restoring data for "e2e\/runtime:runtime" from cache/);
      assert.ok(o.created.config.config.Env?.includes(`CNB_PLATFORM_API=${v}`));
    });
  }
});
