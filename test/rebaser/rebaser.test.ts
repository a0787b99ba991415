import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LIFECYCLE_METADATA_LABEL, parseLifecycleMetadataLabel } from '../../src/files/index.ts';
import { remote } from '../../src/image/index.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { runPhase } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { appImage, distro, push, runImage } from './fixtures.ts';

const API = { CNB_PLATFORM_API: '0.12' };

// platform.md `rebaser`; docs/reference-behaviour.md §8. Real registry, real Docker engine.
describe('rebaser against a real registry', () => {
  let reg: RegistryHandle;
  let dockerd: Dockerd;
  let tmp: string;
  let h: string;

  before(async () => {
    [reg, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    h = reg.host;
    tmp = await mkdtemp(join(tmpdir(), 'rebaser-'));
  });
  after(async () => {
    await Promise.all([reg?.stop(), dockerd?.stop(), rm(tmp, { recursive: true, force: true })]);
    await cleanupFixtures();
  });

  const rebaser = (args: string[], env: Record<string, string> = {}) =>
    runPhase('rebaser', ['-report', join(tmp, 'report.toml'), ...args], { ...API, ...env });

  it('rebases onto the updated run image from the label, moving no layer bytes, and the image runs', async () => {
    const v1 = await runImage('v1', distro('ubuntu', '22.04'));
    const v1Ref = await push(`${h}/run:latest`, v1);
    const app = await appImage(v1, v1Ref, `${h}/run`, { mirrors: [`mirror.invalid/run`] });
    await remote.write(`${h}/app:1`, app);
    const v2 = await runImage('v2', distro('ubuntu', '22.04'));
    const v2Ref = await push(`${h}/run:latest`, v2);

    const before = reg.requests().length;
    const r = await rebaser([`${h}/app:1`, `${h}/app:rebased`]);
    assert.equal(r.code, 0, r.stderr);
    const uploads = reg
      .requests()
      .slice(before)
      .filter((q) => /\/blobs\/uploads\//.test(q.uri));
    const puts = uploads.filter((q) => q.method === 'PUT' || q.method === 'PATCH');
    assert.equal(puts.length, 1, `only the config blob is uploaded: ${JSON.stringify(uploads)}`);

    const out = await remote.image(`${h}/app:rebased`);
    const same = await remote.image(`${h}/app:1`);
    assert.equal(out.digest, same.digest, 'same image under every tag');
    const diffIDs = out.config.rootfs.diff_ids;
    assert.deepEqual(diffIDs.slice(0, -1), v2.config.rootfs.diff_ids, 'run image layers replaced');
    assert.equal(diffIDs.at(-1), app.config.rootfs.diff_ids.at(-1), 'app layer kept');
    const meta = parseLifecycleMetadataLabel(out.config.config.Labels?.[LIFECYCLE_METADATA_LABEL], 'out');
    assert.equal(meta.runImage?.topLayer, v2.config.rootfs.diff_ids.at(-1));
    assert.equal(meta.runImage?.reference, v2Ref);
    assert.equal(meta.runImage?.image, `${h}/run`);
    assert.deepEqual(meta.runImage?.mirrors, ['mirror.invalid/run']);
    assert.equal(out.config.config.Labels?.['io.buildpacks.base.id'], 'run-v2');
    assert.equal(out.config.created, app.config.created, 'created stays constant');

    const report = await readFile(join(tmp, 'report.toml'), 'utf8');
    assert.match(report, new RegExp(`digest = "${out.digest}"`));
    assert.match(report, /manifest-size = \d+/);
    assert.match(report, new RegExp(`tags = \\[ "${h}/app:1", "${h}/app:rebased" \\]`));

    await dockerd.docker(['pull', `${h}/app:rebased`]);
    const run = await dockerd.docker(['run', '--rm', '--network', 'none', `${h}/app:rebased`]);
    assert.equal(run.stdout.trim(), 'app on v2');
  });

  it('refuses a run image not named in the metadata unless -force, which records it', async () => {
    const v1 = await runImage('v1', distro('ubuntu', '22.04'));
    const app = await appImage(v1, await push(`${h}/run1:latest`, v1), `${h}/run1`);
    await remote.write(`${h}/app2:1`, app);
    const other = await runImage('other', distro('ubuntu', '22.04'));
    await push(`${h}/elsewhere:v9`, other);

    const refused = await rebaser(['-run-image', `${h}/elsewhere:v9`, `${h}/app2:1`]);
    assert.equal(refused.code, 72, refused.stderr);
    assert.match(
      refused.stderr,
      /new base image '.*elsewhere:v9' not found in existing run image metadata.*please provide -force/,
    );
    assert.equal((await remote.image(`${h}/app2:1`)).digest, app.digest, 'the tag is untouched');

    const forced = await rebaser(['-force', '-run-image', `${h}/elsewhere:v9`, `${h}/app2:1`]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /^Warning: .*not found in existing run image metadata/m);
    const meta = parseLifecycleMetadataLabel(
      (await remote.image(`${h}/app2:1`)).config.config.Labels?.[LIFECYCLE_METADATA_LABEL],
      'x',
    );
    assert.equal(meta.runImage?.image, `${h}/elsewhere:v9`);
    assert.equal(meta.runImage?.mirrors, undefined);
  });

  it('refuses a run image with other target data unless -force, which takes the new labels', async () => {
    const v1 = await runImage('v1', distro('ubuntu', '22.04'));
    const app = await appImage(v1, await push(`${h}/run3:latest`, v1), `${h}/run3`);
    await remote.write(`${h}/app3:1`, app);
    await push(`${h}/run3:latest`, await runImage('alpine', distro('alpine', '3.20')));

    const refused = await rebaser([`${h}/app3:1`]);
    assert.equal(refused.code, 72);
    assert.match(
      refused.stderr,
      /unable to satisfy target os\/arch constraints.*please provide -force to override/,
    );

    const forced = await rebaser(['-force', `${h}/app3:1`]);
    assert.equal(forced.code, 0, forced.stderr);
    const labels = (await remote.image(`${h}/app3:1`)).config.config.Labels ?? {};
    assert.equal(labels['io.buildpacks.base.distro.name'], 'alpine');
    assert.equal(labels['io.buildpacks.base.distro.version'], '3.20');
  });

  it('honours io.buildpacks.rebasable=false only with -force (S-3)', async () => {
    const v1 = await runImage('v1', {});
    const app = await appImage(v1, await push(`${h}/run4:latest`, v1), `${h}/run4`, {
      labels: { 'io.buildpacks.rebasable': 'false' },
    });
    await remote.write(`${h}/app4:1`, app);
    const refused = await rebaser([`${h}/app4:1`]);
    assert.equal(refused.code, 72);
    assert.match(refused.stderr, /app image is not marked as rebasable; please provide -force to override/);
    const forced = await rebaser(['-force', `${h}/app4:1`]);
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('fails clearly for a missing image (72), no metadata without -run-image (3), no image (3)', async () => {
    const missing = await rebaser([`${h}/nope:1`]);
    assert.equal(missing.code, 72);
    assert.match(missing.stderr, /failed to access image to rebase.*nope:1/);
    await push(`${h}/plain:1`, await runImage('plain', {}));
    const plain = await rebaser([`${h}/plain:1`]);
    assert.equal(plain.code, 72);
    assert.match(plain.stderr, /has no run-image top layer/);
    const none = await rebaser([]);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /rebaser needs at least one <image>/);
    const bad = await rebaser(['UPPER/case:1']);
    assert.equal(bad.code, 3);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  it('rebases in the Docker daemon (-daemon) and the image runs', async () => {
    const v1 = await runImage('d1', distro('ubuntu', '22.04'));
    const { daemon } = await import('../../src/image/index.ts');
    const opts = { host: dockerd.host };
    await daemon.write('localrun:latest', v1, opts);
    const v1Id = (await daemon.inspect('localrun:latest', opts))!.Id;
    const app = await appImage(v1, v1Id, 'localrun');
    await daemon.write('localapp:1', app, { ...opts, reuseFrom: ['localrun:latest'] });
    await daemon.write('localrun:latest', await runImage('d2', distro('ubuntu', '22.04')), opts);

    const r = await rebaser(['-daemon', 'localapp:1'], dockerd.env);
    assert.equal(r.code, 0, r.stderr);
    const report = await readFile(join(tmp, 'report.toml'), 'utf8');
    assert.match(report, /image-id = "[0-9a-f]{64}"/);
    const run = await dockerd.docker(['run', '--rm', '--network', 'none', 'localapp:1']);
    assert.equal(run.stdout.trim(), 'app on d2');
  });
});
