import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type Image, remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  cleanupLifecycle,
  lifecycleDir,
  ok,
  phase,
  pushRunImage,
  show,
  type Workspace,
  workspace,
} from './helpers.ts';

const USER = 'cred-user';
const PASS = 'Cr3d-Secret-Pa55-7f3a9';
const BASIC = Buffer.from(`${USER}:${PASS}`).toString('base64');
const SECRETS = [PASS, BASIC];

/** Every regular file under `dir` (skipping `skip`), with its content. */
async function filesUnder(dir: string, skip: readonly string[]): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (skip.includes(p)) continue;
    if (e.isDirectory()) out.push(...(await filesUnder(p, skip)));
    else if (e.isFile()) out.push({ path: p, bytes: await readFile(p) });
  }
  return out;
}

/** The config and every layer (decompressed) of an image. */
async function imageBytes(img: Image): Promise<{ what: string; bytes: Buffer }[]> {
  const out = [{ what: 'config', bytes: Buffer.from(img.rawConfig) }];
  for (const l of img.layers) {
    const chunks: Buffer[] = [];
    for await (const c of await l.compressed()) chunks.push(c as Buffer);
    const blob = Buffer.concat(chunks);
    out.push({ what: `layer ${l.digest}`, bytes: l.mediaType.endsWith('gzip') ? gunzipSync(blob) : blob });
  }
  return out;
}

function assertNoSecret(what: string, bytes: Buffer | string): void {
  for (const s of SECRETS) assert.ok(!bytes.includes(s), `${what} contains a registry credential`);
}

/**
 * Black box (issue 9 item 9): the built creator at -log-level debug against a registry with auth (app
 * image, run image and cache image all there), credentials from CNB_REGISTRY_AUTH and from DOCKER_CONFIG.
 * The credentials appear nowhere: not in the logs, not in any file of the workspace, not in the app or
 * cache image, not in the buildpack's environment.
 */
describe('e2e: registry credentials never leak', () => {
  let sec: RegistryHandle;
  let ws: Workspace;
  let bps: string;
  let order: string;
  let runName: string;
  const authEnv = () => ({ CNB_REGISTRY_AUTH: JSON.stringify({ [sec.host]: `Basic ${BASIC}` }) });

  before(async () => {
    sec = await startRegistry({ auth: { user: USER, pass: PASS } });
    ws = await workspace('e2e-creds-');
    runName = (await pushRunImage(sec.host, 'creds/run', authEnv())).name;
    bps = join(ws.root, 'buildpacks');
    const bp = join(bps, 'creds_dump', '0.0.1');
    await mkdir(join(bp, 'bin'), { recursive: true });
    await writeFile(
      join(bp, 'buildpack.toml'),
      'api = "0.12"\n[buildpack]\n  id = "creds/dump"\n  version = "0.0.1"\n[[targets]]\n  os = "linux"\n',
    );
    await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n');
    // Everything the buildpack can see of its environment goes to the log and into a launch+cache layer.
    await writeFile(
      join(bp, 'bin', 'build'),
      '#!/bin/sh\nset -e\nd="$CNB_LAYERS_DIR/dump"\nmkdir -p "$d"\nenv | tee "$d/env.txt"\n' +
        'tr "\\0" "\\n" < /proc/self/environ > "$d/environ.txt"\n' +
        'printf "[types]\\n  launch = true\\n  cache = true\\n" > "$CNB_LAYERS_DIR/dump.toml"\n',
    );
    await chmod(join(bp, 'bin', 'detect'), 0o755);
    await chmod(join(bp, 'bin', 'build'), 0o755);
    order = join(ws.root, 'order.toml');
    await writeFile(order, '[[order]]\n  [[order.group]]\n    id = "creds/dump"\n    version = "0.0.1"\n');
  });
  after(async () => {
    await sec?.stop();
    await ws?.cleanup();
    await cleanupFixtures();
    await cleanupLifecycle();
  });

  const create = async (tag: string, env: Record<string, string>) => {
    await ws.fresh();
    const flags = [
      ...[
        '-app',
        ws.app,
        '-layers',
        ws.layers,
        '-platform',
        ws.platform,
        '-buildpacks',
        bps,
        '-order',
        order,
      ],
      ...['-launcher', join(await lifecycleDir(), 'launcher'), '-log-level', 'debug'],
      ...[
        '-run-image',
        runName,
        '-cache-image',
        `${sec.host}/creds/cache:${tag}`,
        `${sec.host}/creds/app:${tag}`,
      ],
    ];
    return ok(await phase('creator', flags, ws.env(env)), `creator ${tag}`);
  };

  it('CNB_REGISTRY_AUTH and docker config.json: not in logs, files, images or the buildpack env', async () => {
    const dockerConfig = join(ws.root, 'docker-config');
    await mkdir(dockerConfig);
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [sec.host]: { auth: BASIC } } }),
    );
    const runs = [await create('env', authEnv()), await create('config', { DOCKER_CONFIG: dockerConfig })];
    for (const r of runs) {
      assertNoSecret('the creator output', r.stdout + r.stderr);
      assert.match(r.stdout, /CNB_LAYERS_DIR=/, `the buildpack's env was logged: ${show(r)}`);
      assert.doesNotMatch(
        r.stdout,
        /CNB_REGISTRY_AUTH|DOCKER_CONFIG=/,
        'credential variables reach no buildpack',
      );
    }
    const files = await filesUnder(ws.root, [dockerConfig]);
    assert.ok(
      files.some((f) => f.path.endsWith('env.txt')),
      'the buildpack env dump is in <layers>',
    );
    for (const f of files) assertNoSecret(f.path, f.bytes);
    const opts = { env: authEnv() };
    for (const tag of ['env', 'config']) {
      const app = await remote.image(`${sec.host}/creds/app:${tag}`, opts);
      const cache = await remote.image(`${sec.host}/creds/cache:${tag}`, opts);
      const parts = [...(await imageBytes(app)), ...(await imageBytes(cache))];
      assert.ok(
        parts.some((p) => p.bytes.includes('CNB_LAYERS_DIR=')),
        'the env dump layer was exported',
      );
      for (const p of parts) assertNoSecret(`${tag}: ${p.what}`, p.bytes);
    }
  });
});
