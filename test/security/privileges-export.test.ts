import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { daemon } from '../../src/image/index.ts';
import { cleanupDist, exporter, type Fixture, fixture, ok } from '../exporter/helpers.ts';
import { baseImage, cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, dockerCli, startDockerd } from '../support/docker.ts';
import { type Decoys, decoys } from './decoys.ts';

const run = promisify(execFile);

/**
 * Issue 9 item 1 (docs/decisions.md D-200, D-202, D-204): `exporter -daemon`, started as root with a
 * build user and a Docker socket only root can open, reads `<layers>` as the build user (the socket
 * comes from a root connector), so symlinks a buildpack left behind never bring root-only files into
 * the image labels, its layers, `<layers>` or the logs. Runs against the real dockerd.
 */
const AS_ROOT = process.getuid?.() === 0;
const USER_ENV = { CNB_USER_ID: '65534', CNB_GROUP_ID: '65534' };

const DECOY_FILES = {
  'layer.toml': '[types]\nlaunch = true\n\n[metadata]\nstolen = "TOKEN"\n',
  'store.toml': '[metadata]\nstolen = "TOKEN"\n',
  'metadata.toml':
    'buildpack-default-process-type = "web"\n\n[[buildpacks]]\nid = "example/hello"\nversion = "0.0.1"\napi = "0.10"\n\n' +
    '[[labels]]\nkey = "org.example.stolen"\nvalue = "TOKEN"\n\n' +
    '[[processes]]\ntype = "web"\ncommand = ["TOKEN"]\nargs = []\ndirect = true\nbuildpack-id = "example/hello"\n',
};
// A decoy laid out as a buildpack's layers dir: a launch layer with a secret in it.
const VAULT = {
  'hello.toml': '[types]\nlaunch = true\n\n[metadata]\nstolen = "TOKEN"\n',
  'hello/secret': 'TOKEN\n',
  inside: 'secret TOKEN\n',
};

describe('privileges: exporter -daemon as root with a build user vs what a buildpack left', {
  skip: AS_ROOT ? false : 'needs root (CI runs as root)',
}, () => {
  let d: Dockerd;
  let runId: string;
  let fx: Fixture | undefined;
  let dc: Decoys | undefined;
  let n = 0;
  before(async () => {
    d = await startDockerd();
    runId = (await daemon.write('sec/run:latest', await baseImage('sec-run'), { host: d.host })).id;
  });
  afterEach(async () => {
    await fx?.cleanup();
    await dc?.cleanup();
  });
  after(async () => {
    await d?.stop();
    await cleanupFixtures();
    await cleanupDist();
  });

  /** A fixture whose <layers> belongs to the build user, as a platform leaves it after the build. */
  async function prepare(): Promise<Fixture> {
    fx = await fixture();
    await chmod(fx.root, 0o755);
    await fx.analyzed(runId, 'sec/run:latest');
    await run('chown', ['-R', '65534:65534', fx.layers]);
    return fx;
  }

  /** Exports, then checks the decoys, the logs, <layers> and (if written) the image's labels and bytes. */
  async function exportAndCheck(f: Fixture, dcs: Decoys): Promise<void> {
    const tag = `sec/app:${++n}`;
    const r = await exporter([...f.flags(), '-daemon', tag], { DOCKER_HOST: d.host, ...USER_ENV });
    await dcs.assertUnchanged();
    dcs.assertNotIn(r.stdout + r.stderr, 'the logs');
    await dcs.assertNotInTree(f.layers);
    const info = await daemon.inspect(tag, { host: d.host });
    if (info === undefined) {
      assert.notEqual(r.code, 0, 'no image and no failure');
      return;
    }
    dcs.assertNotIn(JSON.stringify(info), 'the image config and labels');
    const saved = await run(dockerCli(), ['-H', d.host, 'save', tag], {
      encoding: 'buffer',
      maxBuffer: 512 << 20,
    });
    dcs.assertNotIn(saved.stdout, 'the image layers');
  }

  it("the socket comes from the connector: a clean export works and everything written is the build user's", async () => {
    const f = await prepare();
    await rm(join(f.layers, 'report.toml'), { force: true });
    const r = ok(
      await exporter([...f.flags(), '-daemon', 'sec/clean:latest'], { DOCKER_HOST: d.host, ...USER_ENV }),
    );
    assert.match(r.stdout, /\*\*\* Images/);
    const st = await stat(join(f.layers, 'report.toml'));
    assert.deepEqual([st.uid, st.gid], [65534, 65534]);
    const out = await d.docker(['run', '--rm', '--network', 'none', 'sec/clean:latest']);
    assert.match(out.stdout, /^Hi world from /);
  });

  for (const [what, rel, decoy] of [
    ['<layer>.toml', 'example_hello/hello.toml', 'layer.toml'],
    ['store.toml', 'example_hello/store.toml', 'store.toml'],
    ['config/metadata.toml', 'config/metadata.toml', 'metadata.toml'],
  ] as const) {
    it(`read a root-only file: ${what} symlinked to it (would land in labels and the config layer)`, async () => {
      dc = await decoys(DECOY_FILES, VAULT);
      const f = await prepare();
      await rm(join(f.layers, rel));
      await symlink(dc.file(decoy), join(f.layers, rel));
      await exportAndCheck(f, dc);
    });
  }

  it('a buildpack layers dir that is a symlink to a root 0700 dir is not walked', async () => {
    dc = await decoys(DECOY_FILES, VAULT);
    const f = await prepare();
    await rm(f.bpDir, { recursive: true });
    await symlink(dc.dir, f.bpDir);
    await exportAndCheck(f, dc);
  });

  it('a layer directory that is a symlink out of <layers> is never followed', async () => {
    dc = await decoys(DECOY_FILES, VAULT);
    const f = await prepare();
    await rm(join(f.bpDir, 'hello'), { recursive: true });
    await symlink(join(dc.dir, 'hello'), join(f.bpDir, 'hello'));
    await exportAndCheck(f, dc);
  });
});
