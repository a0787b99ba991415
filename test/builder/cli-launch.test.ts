import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { groupToml, show, type Workspace, workspace } from '../support/black-box.ts';

/**
 * Black-box `dist/lifecycle/builder`: launch.toml → `<layers>/config/metadata.toml` (buildpack.md
 * "launch.toml (TOML)"; platform.md "builder" Outputs; docs/reference-behaviour.md §5 "launch.toml /
 * build.toml", "Processes and default process", §0.10 metadata.toml, §14 per-API differences).
 */
describe('builder: launch.toml to metadata.toml (black box)', () => {
  const all: Workspace[] = [];
  after(async () => {
    for (const ws of all) await ws.cleanup();
  });
  const build = async (group: string[], launch: Record<string, string>) => {
    const ws = await workspace();
    all.push(ws);
    await ws.write('layers/group.toml', groupToml(group));
    await ws.write('layers/plan.toml', '');
    for (const [name, toml] of Object.entries(launch))
      await ws.write(`workspace/build/${name}/launch.toml`, toml);
    return { ws, run: await ws.builder() };
  };

  describe('processes, labels and slices across buildpack APIs 0.7, 0.9, 0.10, 0.12', () => {
    let ws: Workspace;
    let run: Awaited<ReturnType<Workspace['builder']>>;
    let md: Record<string, unknown>;
    let raw: string;
    const proc = (type: string) => (md['processes'] as { type: string }[]).find((p) => p.type === type);

    before(async () => {
      ({ ws, run } = await build(
        [
          'phases/api07@0.0.7@0.7',
          'phases/api09@0.0.9@0.9',
          'phases/api10@0.0.10@0.10',
          'phases/api12@0.0.12@0.12',
        ],
        {
          // BA < 0.9: `command` is a string, `direct` allowed; BA < 0.8: working-dir ignored (warning).
          api07: `[[processes]]
type = "legacy"
command = "echo hello"
args = ["a", "b"]
direct = false
working-dir = "/ignored"

[[processes]]
type = "web"
command = "old-web"
direct = true

[[labels]]
key = "k1"
value = "v1"

[[slices]]
paths = ["static/*"]
`,
          // BA 0.9: `command` is an array; every process is direct.
          api09: `[[processes]]
type = "worker"
command = ["worker", "--flag"]
args = ["x"]
default = true
`,
          // BA 0.10: replaces phases/api07's "web"; working-dir honoured.
          api10: `[[processes]]
type = "web"
command = ["node", "server.js"]
working-dir = "/workspace/sub"

[[labels]]
key = "k2"
value = "v2"

[[slices]]
paths = ["public/**", "views"]
`,
          api12: `[[processes]]
type = "a-first"
command = ["run-it"]
args = ["--now"]
`,
        },
      ));
      raw = await ws.read('layers/config/metadata.toml');
      md = await ws.readToml('layers/config/metadata.toml');
    });

    it('exits 0', () => {
      assert.equal(run.code, 0, show(run));
    });

    it('lists processes sorted by type; a later buildpack replaces a type (§5 Processes)', () => {
      assert.deepEqual(
        (md['processes'] as { type: string }[]).map((p) => p.type),
        ['a-first', 'legacy', 'web', 'worker'],
      );
      assert.equal((proc('web') as Record<string, unknown>)['buildpack-id'], 'phases/api10');
    });

    it('writes [[processes]] tables, never an inline `processes =` (§0.10)', () => {
      assert.match(raw, /^\[\[processes\]\]$/m);
      assert.doesNotMatch(raw, /processes\s*=/);
    });

    it('Platform API 0.12 writes commands as arrays, even a BA 0.7 string command (§0.10)', () => {
      assert.deepEqual(proc('legacy'), {
        type: 'legacy',
        command: ['echo hello'],
        args: ['a', 'b'],
        direct: false,
        'buildpack-id': 'phases/api07',
      });
    });

    it('BA 0.7: working-dir is dropped with a warning on stderr (§5; S-8)', () => {
      assert.equal((proc('legacy') as Record<string, unknown>)['working-dir'] ?? '', '');
      assert.match(run.stderr, /Warning: .*working.dir/i);
    });

    it('BA 0.9: array command, always direct; `default = true` becomes buildpack-default-process-type', () => {
      assert.deepEqual(proc('worker'), {
        type: 'worker',
        command: ['worker', '--flag'],
        args: ['x'],
        direct: true,
        'buildpack-id': 'phases/api09',
      });
      assert.equal(md['buildpack-default-process-type'], 'worker');
      assert.doesNotMatch(raw, /^\s*default\s*=/m, 'process `default` is never written');
    });

    it('BA 0.10: working-dir kept; no args → empty list', () => {
      const web = proc('web') as Record<string, unknown>;
      assert.deepEqual(web['command'], ['node', 'server.js']);
      assert.equal(web['working-dir'], '/workspace/sub');
      assert.equal(web['direct'], true);
      assert.deepEqual(web['args'] ?? [], []);
    });

    it('aggregates labels and slices in group order (§5 launch.toml)', () => {
      assert.deepEqual(md['labels'], [
        { key: 'k1', value: 'v1' },
        { key: 'k2', value: 'v2' },
      ]);
      assert.deepEqual(md['slices'], [{ paths: ['static/*'] }, { paths: ['public/**', 'views'] }]);
    });

    it('records group.toml in [[buildpacks]] (id, version, api) (§5)', () => {
      assert.deepEqual(md['buildpacks'], [
        { id: 'phases/api07', version: '0.0.7', api: '0.7' },
        { id: 'phases/api09', version: '0.0.9', api: '0.9' },
        { id: 'phases/api10', version: '0.0.10', api: '0.10' },
        { id: 'phases/api12', version: '0.0.12', api: '0.12' },
      ]);
    });
  });

  it('the last `default = true` wins; a non-default redefinition clears it with a warning (§5)', async () => {
    const { ws, run } = await build(
      ['phases/api10@0.0.10@0.10', 'phases/api12@0.0.12@0.12', 'phases/second@0.0.2@0.12'],
      {
        api10: '[[processes]]\ntype = "web"\ncommand = ["a"]\ndefault = true\n',
        api12: '[[processes]]\ntype = "worker"\ncommand = ["b"]\ndefault = true\n',
        second: '[[processes]]\ntype = "worker"\ncommand = ["c"]\n',
      },
    );
    assert.equal(run.code, 0, show(run));
    const md = await ws.readToml('layers/config/metadata.toml');
    assert.equal(md['buildpack-default-process-type'], undefined);
    assert.match(
      run.stderr,
      /Warning: redefining the following default process type with a process not marked as default: worker/,
    );
  });

  it('a process named "web" is not implicitly the default (§5)', async () => {
    const { ws, run } = await build(['phases/api12@0.0.12@0.12'], {
      api12: '[[processes]]\ntype = "web"\ncommand = ["serve"]\n',
    });
    assert.equal(run.code, 0, show(run));
    assert.equal(
      (await ws.readToml('layers/config/metadata.toml'))['buildpack-default-process-type'],
      undefined,
    );
  });

  it('an empty group succeeds with no processes (§5 "Empty group.toml")', async () => {
    const { ws, run } = await build([], {});
    assert.equal(run.code, 0, show(run));
    const md = await ws.readToml('layers/config/metadata.toml');
    assert.deepEqual(md['processes'] ?? [], []);
  });
});
