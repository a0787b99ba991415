import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AS_ROOT, groupToml, orderToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box privileges of `detector` and `builder` (docs/reference-behaviour.md §0.8 "Privileges and
 * ownership"; S-7; DESIGN.md "Reliability and security"). The suite runs as root in
 * CI: then buildpacks must run as CNB_USER_ID/CNB_GROUP_ID and the lifecycle refuses without them.
 * Run as an ordinary user, buildpacks run as that user and nothing is refused. Both ways are asserted.
 */
const NOBODY = { uid: 65534, gid: 65534 };
const ME = { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
const NOBODY_ENV = { CNB_USER_ID: String(NOBODY.uid), CNB_GROUP_ID: String(NOBODY.gid) };
const NO_USER = { CNB_USER_ID: undefined, CNB_GROUP_ID: undefined };
/** Who bin/detect and bin/build run as when the platform asks for nobody. */
const EXPECTED = AS_ROOT ? NOBODY : ME;

/** A bin/build hook that records `id -u`/`id -g` in a launch layer of its own. */
const WHOAMI_HOOK = `mkdir -p "$1/ids"
id -u >"$1/ids/uid"
id -g >"$1/ids/gid"
printf '[types]\\nlaunch = true\\n' >"$1/ids.toml"
`;

describe(`privileges (running as ${AS_ROOT ? 'root' : `uid ${ME.uid}`})`, () => {
  let ws: Workspace;
  before(async () => {
    ws = await workspace();
    await ws.write('layers/order.toml', orderToml([['phases/api12@0.0.12']]));
    await ws.write('layers/group.toml', groupToml(['phases/api12@0.0.12@0.12']));
    await ws.write('layers/plan.toml', '');
    await ws.write('workspace/hooks/api12.build.sh', WHOAMI_HOOK);
  });
  after(() => ws.cleanup());

  describe('without CNB_USER_ID/CNB_GROUP_ID', () => {
    for (const phase of ['detector', 'builder'] as const) {
      it(
        AS_ROOT
          ? `${phase} refuses to run buildpacks as root: exit 1, a clear message, nothing ran`
          : `${phase} runs buildpacks as the current user (no refusal when not root)`,
        async () => {
          const run = await ws[phase]([], NO_USER);
          const step = phase === 'detector' ? 'detect' : 'build';
          if (AS_ROOT) {
            assert.equal(run.code, 1, show(run));
            assert.match(run.stderr, /ERROR: .*refusing to run as root/);
            assert.match(run.stderr, /CNB_USER_ID/, 'says what to do');
            assert.doesNotMatch(run.stderr, /\n\s+at /);
            assert.equal(await ws.exists(`workspace/out/api12.${step}.args`), false, 'no buildpack ran');
          } else {
            assert.equal(run.code, 0, show(run));
            const args = await ws.args('api12', step);
            assert.equal(args['uid'], String(ME.uid));
            assert.equal(args['gid'], String(ME.gid));
          }
        },
      );
    }

    for (const phase of ['detector', 'builder'] as const) {
      const step = phase === 'detector' ? 'detect' : 'build';
      it(
        AS_ROOT
          ? `${phase}'s refusal reads "failed to ${step}: refusing to run as root" and advises only inputs it accepts`
          : `${phase} prints no refusal`,
        async () => {
          const run = await ws[phase]([], NO_USER);
          if (!AS_ROOT) {
            assert.doesNotMatch(run.stderr, /refusing/);
            return;
          }
          // The reference's text (§0.8): `failed to detect: refusing to run as root` / `failed to build: …`.
          assert.match(run.stderr, new RegExp(`ERROR: failed to ${step}: refusing to run as root`));
          // detector/builder have no -uid/-gid flags at Platform API 0.12 (§0.6): advising them leads to exit 2.
          assert.doesNotMatch(run.stderr, /-uid|-gid/);
        },
      );
    }

    it(
      AS_ROOT ? 'CNB_USER_ID without CNB_GROUP_ID is refused too' : 'CNB_USER_ID alone changes nothing',
      async () => {
        const run = await ws.detector([], { CNB_USER_ID: String(NOBODY.uid), CNB_GROUP_ID: undefined });
        assert.equal(run.code, AS_ROOT ? 1 : 0, show(run));
      },
    );
  });

  describe('with CNB_USER_ID=65534 CNB_GROUP_ID=65534', () => {
    let detect: Awaited<ReturnType<Workspace['detector']>>;
    let build: Awaited<ReturnType<Workspace['builder']>>;
    before(async () => {
      detect = await ws.detector([], NOBODY_ENV);
      build = await ws.builder([], NOBODY_ENV);
    });

    it(`bin/detect runs as ${EXPECTED.uid}:${EXPECTED.gid}`, async () => {
      assert.equal(detect.code, 0, show(detect));
      const args = await ws.args('api12', 'detect');
      assert.equal(args['uid'], String(EXPECTED.uid));
      assert.equal(args['gid'], String(EXPECTED.gid));
    });

    it(`the detector hands what it writes (group.toml, plan.toml) to ${EXPECTED.uid}:${EXPECTED.gid} (S-7)`, async () => {
      for (const rel of ['layers/group.toml', 'layers/plan.toml']) {
        const st = await stat(join(ws.root, rel));
        assert.deepEqual({ uid: st.uid, gid: st.gid }, EXPECTED, rel);
      }
    });

    it(`bin/build runs as ${EXPECTED.uid}:${EXPECTED.gid} and can write its layers dir`, async () => {
      assert.equal(build.code, 0, show(build));
      assert.equal((await ws.read('layers/phases_api12/ids/uid')).trim(), String(EXPECTED.uid));
      assert.equal((await ws.read('layers/phases_api12/ids/gid')).trim(), String(EXPECTED.gid));
    });

    it('the CNB_USER_ID/CNB_GROUP_ID inputs themselves are not passed to buildpacks (§10 include-list)', async () => {
      const env = await ws.env('api12', 'build');
      assert.equal(env['CNB_USER_ID'], undefined);
      assert.equal(env['CNB_GROUP_ID'], undefined);
    });

    it(`the dirs and files the builder created belong to ${EXPECTED.uid}:${EXPECTED.gid}`, async () => {
      for (const rel of [
        'layers/phases_api12',
        'layers/phases_api12/ids',
        'layers/phases_api12/ids/uid',
        'layers/phases_api12/ids.toml',
        'layers/config',
        'layers/config/metadata.toml',
      ]) {
        const st = await stat(join(ws.root, rel));
        assert.deepEqual({ uid: st.uid, gid: st.gid }, EXPECTED, rel);
      }
    });

    it('metadata.toml lists the layer-owning buildpack (the build completed as that user)', async () => {
      const md = await ws.readToml('layers/config/metadata.toml');
      assert.deepEqual(
        (md['buildpacks'] as { id: string }[]).map((b) => b.id),
        ['phases/api12'],
      );
    });
  });
});
