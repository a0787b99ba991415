import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { groupToml, STACK_TRACE, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/builder`: failures and exit codes (docs/reference-behaviour.md §0.3, §0.4,
 * §0.6, §5 "Command level", "launch.toml / build.toml", "Layers"; platform.md "builder" Outputs).
 */
describe('builder: failures and exit codes (black box)', () => {
  const all: Workspace[] = [];
  after(async () => {
    for (const ws of all) await ws.cleanup();
  });
  /** A workspace with group.toml for `group` (id@version@api refs) and an empty plan. */
  const setup = async (group: string[], files: Record<string, string> = {}) => {
    const ws = await workspace();
    all.push(ws);
    await ws.write('layers/group.toml', groupToml(group));
    await ws.write('layers/plan.toml', '');
    for (const [rel, content] of Object.entries(files)) await ws.write(rel, content);
    return ws;
  };

  it('exit 51 when a bin/build exits non-zero; later buildpacks do not run, no metadata.toml (§5)', async () => {
    const ws = await setup(
      ['phases/api07@0.0.7@0.7', 'phases/api12@0.0.12@0.12', 'phases/second@0.0.2@0.12'],
      {
        'workspace/exit/api12.build': '7',
      },
    );
    const run = await ws.builder();
    assert.equal(run.code, 51, show(run));
    assert.match(run.stderr, /ERROR: .*exit status 7/);
    assert.doesNotMatch(run.stdout, /ERROR:/, 'S-8: errors on stderr only');
    assert.equal(await ws.read('workspace/out/build.order'), 'api07\napi12\n');
    assert.equal(await ws.exists('layers/config/metadata.toml'), false);
    assert.doesNotMatch(run.stderr, STACK_TRACE);
  });

  describe('exit 12 for a bad buildpack api in group.toml (§0.3)', () => {
    it('unsupported "0.1"', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.1']);
      const run = await ws.builder();
      assert.equal(run.code, 12, show(run));
      assert.match(run.stderr, /phases\/api12@0\.0\.12/);
      assert.match(run.stderr, /'0\.1'/);
      assert.equal(await ws.exists('workspace/out/build.order'), false, 'nothing ran');
    });

    it('unparsable "0.2wrongapiblabla"', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.2wrongapiblabla']);
      const run = await ws.builder();
      assert.equal(run.code, 12, show(run));
      assert.match(run.stderr, /phases\/api12@0\.0\.12/);
    });
  });

  describe('exit 52 for bad buildpack output, naming the file (§5 "Other errors -> 52")', () => {
    /** The fixture buildpack of that API (phases/apiNN@0.0.N) writing `toml` as its launch.toml. */
    const launch = (api: '0.7' | '0.9' | '0.12', toml: string) => {
      const name = { '0.7': 'api07', '0.9': 'api09', '0.12': 'api12' }[api];
      return setup([`phases/${name}@0.0.${api.slice(2)}@${api}`], {
        [`workspace/build/${name}/launch.toml`]: toml,
      });
    };

    it('malformed launch.toml → the message names <layers>/<bp>/launch.toml and the line', async () => {
      const ws = await launch('0.12', '[[processes]]\ntype = "web"\ncommand = ["a"\n');
      const run = await ws.builder();
      assert.equal(run.code, 52, show(run));
      assert.ok(run.stderr.includes(join(ws.layers, 'phases_api12', 'launch.toml')), show(run));
      assert.match(run.stderr, /launch\.toml:\d+:\d+/);
      assert.doesNotMatch(run.stderr + run.stdout, STACK_TRACE);
    });

    it('BA 0.9: a string command is rejected', async () => {
      const run = await (await launch('0.9', '[[processes]]\ntype = "web"\ncommand = "serve"\n')).builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /launch\.toml/);
    });

    it('BA 0.9: `direct` is rejected ("process.direct is not supported on this buildpack version")', async () => {
      const run = await (
        await launch('0.9', '[[processes]]\ntype = "web"\ncommand = ["serve"]\ndirect = true\n')
      ).builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /process\.direct is not supported on this buildpack version/);
    });

    it('BA 0.7: an array command is rejected', async () => {
      const run = await (await launch('0.7', '[[processes]]\ntype = "web"\ncommand = ["serve"]\n')).builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /launch\.toml/);
    });

    it('two `default = true` processes in one launch.toml', async () => {
      const run = await (
        await launch(
          '0.12',
          '[[processes]]\ntype = "a"\ncommand = ["a"]\ndefault = true\n[[processes]]\ntype = "b"\ncommand = ["b"]\ndefault = true\n',
        )
      ).builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /multiple default process types aren't allowed/);
    });

    it('layer types at the top level of <layer>.toml', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.12'], {
        'workspace/build/api12/tools.toml': 'launch = true\n',
      });
      const run = await ws.builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /types table/);
      assert.ok(run.stderr.includes(join(ws.layers, 'phases_api12', 'tools.toml')), show(run));
    });

    it('an SBOM media type the buildpack did not declare in sbom-formats', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.12'], {
        'workspace/build/api12/launch.sbom.spdx.json': '{}',
      });
      const run = await ws.builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /undeclared SBOM media type/);
    });

    it('[[unmet]] naming a dependency the buildpack was not given', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.12'], {
        'workspace/build/api12/build.toml': '[[unmet]]\nname = "never-requested"\n',
      });
      const run = await ws.builder();
      assert.equal(run.code, 52, show(run));
      assert.match(run.stderr, /never-requested/);
    });
  });

  describe('unreadable inputs → exit 1 naming the file (§5 "Command level")', () => {
    it('group.toml missing', async () => {
      const ws = await setup([]);
      const run = await ws.builder(['-group', join(ws.root, 'nope', 'group.toml')]);
      assert.equal(run.code, 1, show(run));
      assert.match(run.stderr, /group/);
      assert.ok(run.stderr.includes(join(ws.root, 'nope', 'group.toml')), show(run));
    });

    it('group.toml malformed → <path>:<line>:<column>, no stack trace', async () => {
      const ws = await setup([], { 'layers/group.toml': 'a\n' });
      const run = await ws.builder();
      assert.equal(run.code, 1, show(run));
      assert.ok(run.stderr.includes(`${join(ws.layers, 'group.toml')}:1:`), show(run));
      assert.doesNotMatch(run.stderr + run.stdout, STACK_TRACE);
    });

    it('plan.toml malformed → names plan.toml', async () => {
      const ws = await setup(['phases/api12@0.0.12@0.12'], { 'layers/plan.toml': '[[entries]\n' });
      const run = await ws.builder();
      assert.equal(run.code, 1, show(run));
      assert.ok(run.stderr.includes(join(ws.layers, 'plan.toml')), show(run));
      assert.doesNotMatch(run.stderr + run.stdout, STACK_TRACE);
    });
  });

  describe('command line (§0.2, §0.6)', () => {
    it('CNB_PLATFORM_API unset → exit 11', async () => {
      const ws = await setup([]);
      const run = await ws.builder([], { CNB_PLATFORM_API: undefined });
      assert.equal(run.code, 11, show(run));
      assert.match(run.stderr, /please set 'CNB_PLATFORM_API'/);
    });

    for (const flag of ['-order=/x', '-uid=1000', '-no-such-flag']) {
      it(`${flag} is not a builder flag → exit 2`, async () => {
        const ws = await setup([]);
        const run = await ws.builder([flag]);
        assert.equal(run.code, 2, show(run));
      });
    }

    it('a positional argument → exit 3', async () => {
      const ws = await setup([]);
      const run = await ws.builder(['extra']);
      assert.equal(run.code, 3, show(run));
    });
  });
});
