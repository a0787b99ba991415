// Shell processes (platform.md "launcher" Execution 3: one bash sources profile.d/, profile.d/<process>/
// and <app>/.profile, then runs the command; BUILDPACK-API-VERSIONS.md N).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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

const bps = [
  { id: 'bp/first', api: '0.8' },
  { id: 'bp/second', api: '0.9' },
];

/** A profile script appending its name to TRACE (sourced, so no shebang or mode is needed). */
const trace = (name: string) => `export TRACE="\${TRACE:+$TRACE,}${name}"\n`;

describe('launcher: profile scripts (platform.md "launcher" Execution 3)', () => {
  it('sources profile.d in build order, layer name, file name; then profile.d/<process>; then <app>/.profile', () => {
    const f = fixture().metadata(bps, [
      { type: 'web', command: 'echo "$TRACE"', direct: false, 'buildpack-id': 'bp/first' },
    ]);
    f.layer('bp/second', 'a', {
      'profile.d/1.sh': trace('second/a/1'),
      'profile.d/web/1.sh': trace('second/a/web'),
    });
    f.layer('bp/first', 'b', { 'profile.d/1.sh': trace('first/b/1') });
    f.layer('bp/first', 'a', {
      'profile.d/2.sh': trace('first/a/2'),
      'profile.d/10.sh': trace('first/a/10'),
      'profile.d/web/1.sh': trace('first/a/web'),
      'profile.d/worker/1.sh': trace('never'),
    });
    f.file(join(f.app, '.profile'), trace('app'));
    const r = f.run([], { exe: f.processLink('web') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'first/a/10,first/a/2,first/b/1,second/a/1,first/a/web,second/a/web,app\n');
  });

  it('user commands without -- are shell processes: profiles (0.9+ buildpacks too) are sourced first', () => {
    const f = fixture().metadata(bps, []);
    f.layer('bp/second', 'a', { 'profile.d/greet.sh': 'echo sourced bp profile\nexport FROM_PROFILE=yes\n' });
    f.file(join(f.app, '.profile'), 'echo sourced app profile\n');
    const r = f.run(['echo', 'something', '$FROM_PROFILE']);
    assert.equal(r.stdout, 'sourced bp profile\nsourced app profile\nsomething yes\n');
  });

  it('direct processes source no profiles', () => {
    const f = fixture().metadata(bps, [
      { type: 'web', command: ['echo', 'direct'], direct: true, 'buildpack-id': 'bp/second' },
    ]);
    f.layer('bp/second', 'a', { 'profile.d/p.sh': 'echo profile-ran\n' });
    f.file(join(f.app, '.profile'), 'echo app-profile-ran\n');
    assert.equal(f.run([], { exe: f.processLink('web') }).stdout, 'direct\n');
    assert.equal(f.run(['--', 'echo', 'x']).stdout, 'x\n');
  });

  it('profiles run in <app> with $0 = the launcher; the command then runs in its working-dir', () => {
    const f = fixture();
    const wd = join(f.dir, 'wd');
    f.file(join(wd, '.keep'), '');
    f.metadata(bps, [
      { type: 'web', command: 'pwd', direct: false, 'working-dir': wd, 'buildpack-id': 'bp/first' },
    ]);
    f.layer('bp/first', 'a', { 'profile.d/where.sh': 'echo "profile in $(pwd) as $(basename "$0")"\n' });
    const r = f.run([], { exe: f.processLink('web') });
    assert.equal(r.stdout, `profile in ${realpathSync(f.app)} as web\n${realpathSync(wd)}\n`);
  });

  it('one process: bash is exec-ed by the launcher and replaced by the command (same PID)', () => {
    const f = fixture().metadata(bps, [
      { type: 'web', command: 'sh', args: ['-c', 'echo $$'], direct: false, 'buildpack-id': 'bp/first' },
    ]);
    f.layer('bp/first', 'a', { 'profile.d/p.sh': 'true\n' });
    const r = spawnSync(f.processLink('web'), [], {
      env: f.env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.stdout.trim(), String(r.pid));
  });

  it('token mode: each argument is expanded (variables, no word splitting) and kept as one word; 10+ args work', () => {
    const f = fixture().metadata(bps, []);
    const args = Array.from({ length: 12 }, (_, i) => `a${i}`);
    const r = f.run(['printf', '[%s]', '$SPACED', "it's", '-n', ...args], { env: { SPACED: 'two  words' } });
    assert.equal(r.stdout, `[two  words][it's][-n]${args.map((a) => `[${a}]`).join('')}`);
  });

  it("the exit code and output are the command's own", () => {
    const f = fixture().metadata(bps, []);
    const r = f.run(['echo out; echo err >&2; exit 9']);
    assert.equal(r.status, 9);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('a profile path with quotes and spaces is sourced safely', () => {
    const f = fixture().metadata(bps, []);
    f.layer('bp/first', "it's a layer", { 'profile.d/odd "name".sh': 'export ODD=ok\n' });
    assert.equal(f.run(['echo $ODD']).stdout, 'ok\n');
  });
});
