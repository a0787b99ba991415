import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { type Decoys, decoys } from './decoys.ts';
import { type SecWorkspace, secWorkspace, show } from './fixture.ts';

/**
 * Issue 9 item 1 (docs/decisions.md D-200, D-201): the standalone `builder` and `detector`, started as
 * root with CNB_USER_ID/CNB_GROUP_ID, must not touch what a buildpack wrote with root's rights. Each
 * attack points symlinks at root-only decoys outside the workspace; afterwards the decoys are unchanged
 * and their content is nowhere in `<layers>`, the buildpacks' environment or the logs.
 */
const AS_ROOT = process.getuid?.() === 0;

const DECOY_FILES = {
  'sbom.json': '{"decoy":"TOKEN"}\n',
  'launch.toml':
    '[[processes]]\ntype = "web"\ncommand = ["TOKEN"]\n\n[[labels]]\nkey = "k"\nvalue = "TOKEN"\n',
  env: 'TOKEN',
  'plan.toml': '[[provides]]\nname = "TOKEN"\n\n[[requires]]\nname = "TOKEN"\n',
};

describe('privileges: builder and detector as root with a build user vs a hostile buildpack', {
  skip: AS_ROOT ? false : 'needs root (CI runs as root)',
}, () => {
  let ws: SecWorkspace | undefined;
  let d: Decoys | undefined;
  afterEach(async () => {
    await ws?.cleanup();
    await d?.cleanup();
  });

  /** Runs the phase with the hook installed, then checks decoys, <layers>, app outputs and logs. */
  async function attack(
    phase: 'builder' | 'detector',
    hook: (d: Decoys) => string,
    o: { both?: boolean } = {},
  ): Promise<void> {
    d = await decoys(DECOY_FILES);
    ws = await secWorkspace(o);
    await ws.hook('one', phase === 'builder' ? 'build' : 'detect', hook(d));
    const r = await ws.phase(phase);
    const step = phase === 'builder' ? 'build' : 'detect';
    // The attack really ran, as the build user.
    assert.equal((await readFile(join(ws.app, 'out', `one.${step}.uid`), 'utf8')).trim(), '65534', show(r));
    await d.assertUnchanged();
    d.assertNotIn(r.stdout + r.stderr, 'the logs');
    await d.assertNotInTree(ws.layers);
    await d.assertNotInTree(ws.app);
  }

  it('overwrite a root file: <layers>/sbom/launch/<bp>/sbom.cdx.json planted as a symlink', async () => {
    await attack(
      'builder',
      (d) => `L="$1/.."
mkdir -p "$L/sbom/launch/sec_one"
ln -s ${d.file('sbom.json')} "$L/sbom/launch/sec_one/sbom.cdx.json"
echo '{"bom":"attacker"}' >"$1/launch.sbom.cdx.json"
`,
    );
  });

  it('chown anything: symlinks under <layers>/config and <layers>/sbom to a root file and a root 0700 dir', async () => {
    await attack(
      'builder',
      (d) => `L="$1/.."
mkdir -p "$L/config" "$L/sbom/launch"
ln -s ${d.file('env')} "$L/config/evil-file"
ln -s ${d.dir} "$L/config/evil-dir"
ln -s ${d.file('sbom.json')} "$L/sbom/evil-file"
ln -s ${d.dir} "$L/sbom/launch/evil-dir"
`,
    );
  });

  it('write into a root directory: <layers>/sbom itself a symlink to a root 0700 dir', async () => {
    await attack(
      'builder',
      (d) => `ln -s ${d.dir} "$1/../sbom"
echo '{"bom":"attacker"}' >"$1/launch.sbom.cdx.json"
`,
    );
  });

  it('write into a root directory: <layers>/config itself a symlink to a root 0700 dir', async () => {
    await attack(
      'builder',
      (d) => `rm -rf "$1/../config"
ln -s ${d.dir} "$1/../config"
`,
    );
  });

  it('read a root-only file: launch.sbom.cdx.json symlinked to it', async () => {
    await attack('builder', (d) => `ln -s ${d.file('sbom.json')} "$1/launch.sbom.cdx.json"\n`);
  });

  it('read a root-only file: a layer SBOM (<layer>.sbom.cdx.json) symlinked to it', async () => {
    await attack(
      'builder',
      (d) => `mkdir -p "$1/l"
printf '[types]\\nlaunch = true\\n' >"$1/l.toml"
ln -s ${d.file('sbom.json')} "$1/l.sbom.cdx.json"
`,
    );
  });

  it('read a root-only file: launch.toml symlinked to it (would land in metadata.toml)', async () => {
    await attack('builder', (d) => `ln -s ${d.file('launch.toml')} "$1/launch.toml"\n`);
  });

  it("read a root-only file: an env.build/ file symlinked to it (would reach the next buildpack's env)", async () => {
    await attack(
      'builder',
      (d) => `mkdir -p "$1/l/env.build"
printf '[types]\\nbuild = true\\n' >"$1/l.toml"
ln -s ${d.file('env')} "$1/l/env.build/STOLEN.override"
`,
      { both: true },
    );
    // The builder may stop at the unreadable file (exit 52); if sec/two ran, it got nothing.
    const two = await ws!.env('two', 'build').catch(() => ({}) as Record<string, string>);
    assert.equal(two['STOLEN'], undefined);
  });

  it('read a root-only file: $CNB_BUILD_PLAN_PATH replaced by a symlink (would land in <layers>/plan.toml)', async () => {
    await attack('detector', (d) => `rm -f "$2"\nln -s ${d.file('plan.toml')} "$2"\n`);
  });
});
