// Launcher inputs and errors before exec (platform.md "launcher" Inputs and Outputs: 11, 12, 80-89;
// platform.md "metadata.toml"; S-4 on CNB_PLATFORM_API).
import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'smol-toml';
import { Fixture } from './support.ts';

const fixtures: Fixture[] = [];
function fixture(): Fixture {
  const f = new Fixture();
  fixtures.push(f);
  return f;
}
after(() => {
  for (const f of fixtures) f.cleanup();
});

describe('launcher: CNB_PLATFORM_API (platform.md "Platform API Compatibility"; S-4)', () => {
  it('absent or empty means 0.12; 0.7 through 0.15 (and v0.12) are accepted', () => {
    const f = fixture().metadata([], []);
    for (const value of [undefined, '', '0.12', 'v0.12', '0.7', '0.9', '0.13', '0.15']) {
      const r = f.run(['--', 'echo', 'ok'], { env: { CNB_PLATFORM_API: value } });
      assert.equal(r.status, 0, `${value}: ${r.stderr}`);
      assert.equal(r.stdout, 'ok\n');
    }
  });

  it('an unsupported or unparsable Platform API exits 11', () => {
    const f = fixture().metadata([], []);
    for (const v of ['0.6', '0.16']) {
      const old = f.run(['--', 'true'], { env: { CNB_PLATFORM_API: v } });
      assert.equal(old.status, 11);
      assert.match(old.stderr, new RegExp(`platform API version '${v}' is incompatible with the lifecycle`));
    }
    const bad = f.run(['--', 'true'], { env: { CNB_PLATFORM_API: '0.12.1' } });
    assert.equal(bad.status, 11);
    assert.match(bad.stderr, /failed to parse platform API '0.12.1'/);
  });
});

describe('launcher: buildpack APIs in metadata.toml (platform.md "launcher" Outputs: 12)', () => {
  it('an unsupported buildpack API exits 12', () => {
    const f = fixture().metadata([{ id: 'bad_api', api: '0.1' }], []);
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 12);
    assert.match(r.stderr, /buildpack API version '0.1' is incompatible with the lifecycle/);
  });

  it('an unparsable or missing buildpack API exits 12', () => {
    const f = fixture().metadata(
      '[[buildpacks]]\nid = "hello_world"\nversion = "0.0.1"\napi = "0.2wrongapiblabla"\n',
    );
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 12);
    assert.match(r.stderr, /failed to parse buildpack API '0.2wrongapiblabla' for buildpack 'hello_world'/);
    const g = fixture().metadata('[[buildpacks]]\nid = "no_api"\nversion = "1"\n');
    assert.equal(g.run(['--', 'true']).status, 12);
  });

  it('every API 0.7 to 0.12 is accepted', () => {
    const apis = ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12'];
    const f = fixture().metadata(
      apis.map((api) => ({ id: `bp-${api}`, api })),
      [],
    );
    assert.equal(f.run(['--', 'true']).status, 0);
  });
});

describe('launcher: metadata.toml (platform.md "metadata.toml")', () => {
  it('reads the file as smol-toml stringify writes it (labels, slices, inline tables, extensions)', () => {
    const f = fixture();
    f.metadata(
      stringify({
        'buildpack-default-process-type': 'web',
        buildpacks: [
          { id: 'example/node', version: '1.0.0', api: '0.10', homepage: 'https://example.com' },
          { id: 'example/old', version: '0.1.0', api: '0.8', optional: false },
        ],
        extensions: [{ id: 'ext', version: '1', api: '0.9' }],
        processes: [
          {
            type: 'web',
            command: ['echo', 'hello "world"'],
            args: ['tab\there'],
            direct: true,
            default: true,
            'buildpack-id': 'example/node',
            'working-dir': '',
          },
          { type: 'old', command: 'echo old', args: [], direct: false, 'buildpack-id': 'example/old' },
        ],
        labels: [{ key: 'k', value: 'v' }],
        slices: [{ paths: ['*.txt', 'dir/**'] }],
        extra: { nested: { n: 1, x: 1.5, b: false, list: [1, 2] } },
      }),
    );
    assert.equal(f.run([], { exe: f.processLink('web') }).stdout, 'hello "world" tab\there\n');
    assert.equal(f.run([], { exe: f.processLink('old') }).stdout, 'old\n');
  });

  it('a missing metadata.toml exits 80 and names the file', () => {
    const f = fixture();
    rmSync(join(f.layers, 'config'), { recursive: true });
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 80);
    assert.match(
      r.stderr,
      /ERROR: failed to launch: failed to read metadata .*config\/metadata\.toml: No such file or directory/,
    );
  });

  it('invalid TOML exits 80 with the line and the problem', () => {
    const f = fixture().metadata('[[buildpacks]]\nid = "x"\napi = "0.9"\n\n[[processes]]\ntype = web\n');
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 80);
    assert.match(r.stderr, /metadata\.toml: line 6: invalid value 'web' \(strings must be quoted\)/);
  });

  it('fields of the wrong type exit 80 and say which', () => {
    const f = fixture().metadata('[[processes]]\ntype = "web"\ncommand = [1, 2]\n');
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 80);
    assert.match(r.stderr, /processes\[0\]\.command must be a string or an array of strings/);
    const g = fixture().metadata('[[processes]]\ntype = "web"\ncommand = ["x"]\ndirect = "yes"\n');
    assert.match(g.run(['--', 'true']).stderr, /processes\[0\]\.direct must be a boolean/);
  });

  it('an invalid <layer>.toml is a launch error (exit 82)', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', {}, '[types\nlaunch = true\n');
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 82);
    assert.match(r.stderr, /failed to read layer metadata .*l\.toml: line 1/);
  });

  it('CNB_APP_DIR that does not exist is a launch error (exit 82)', () => {
    const f = fixture().metadata([], []);
    const r = f.run(['--', 'true'], { env: { CNB_APP_DIR: join(f.dir, 'missing') } });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /change to app directory/);
  });

  it('works without PATH (distroless run images): absolute commands run, bare names are not found (82)', () => {
    const f = fixture().metadata([], []);
    const ok = f.run(['--', '/bin/echo', 'no PATH needed'], { env: { PATH: undefined } });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'no PATH needed\n');
    const missing = f.run(['--', 'echo', 'x'], { env: { PATH: undefined } });
    assert.equal(missing.status, 82);
    assert.match(missing.stderr, /executable file not found in \$PATH/);
  });

  it('relative CNB_LAYERS_DIR and CNB_APP_DIR are taken from the starting directory; layer paths are absolute', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    const layer = f.layer('bp', 'l', { 'bin/.keep': '' });
    const r = f.run(['--', 'sh', '-c', 'pwd; printenv PATH'], {
      cwd: f.dir,
      env: { CNB_LAYERS_DIR: 'layers', CNB_APP_DIR: 'workspace' },
    });
    assert.equal(r.status, 0, r.stderr);
    const [cwd, path] = r.stdout.split('\n');
    assert.equal(cwd, realpathSync(f.app));
    assert.equal(path?.split(':')[0], join(layer, 'bin'));
  });
});
