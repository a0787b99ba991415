// The launch environment (platform.md "Launch Environment"; buildpack.md "Layer Paths" and
// "Environment Variable Modification Rules").
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Fixture, parseEnv0, script } from './support.ts';

const fixtures: Fixture[] = [];
function fixture(): Fixture {
  const f = new Fixture();
  fixtures.push(f);
  return f;
}
after(() => {
  for (const f of fixtures) f.cleanup();
});

/** The process environment the launcher gives `type` (or a user command when type is undefined). */
function envOf(
  f: Fixture,
  type?: string,
  extra: Record<string, string | undefined> = {},
): Map<string, string> {
  const r = type
    ? f.run(['env', '-0'], { exe: f.processLink(type), env: extra })
    : f.run(['--', 'env', '-0'], { env: extra });
  assert.equal(r.status, 0, r.stderr);
  return parseEnv0(r.stdout);
}

const twoBuildpacks = [
  { id: 'bp/first', api: '0.9' },
  { id: 'bp/second', api: '0.9' },
];
const envProcess = { type: 'web', command: ['env'], direct: true, 'buildpack-id': 'bp/first' };

describe('launcher: Launch Environment (platform.md)', () => {
  it('drops CNB_APP_DIR, CNB_LAYERS_DIR, CNB_PROCESS_TYPE (and the reference also drops CNB_PLATFORM_API, CNB_DEPRECATION_MODE)', () => {
    const f = fixture().metadata([], []);
    const env = envOf(f, undefined, {
      CNB_PROCESS_TYPE: '',
      CNB_PLATFORM_API: '0.12',
      CNB_DEPRECATION_MODE: 'quiet',
      CNB_OTHER: 'kept',
      WITH_EQUALS: 'a=b=c',
    });
    for (const gone of [
      'CNB_APP_DIR',
      'CNB_LAYERS_DIR',
      'CNB_PROCESS_TYPE',
      'CNB_PLATFORM_API',
      'CNB_DEPRECATION_MODE',
    ]) {
      assert.equal(env.has(gone), false, `${gone} should not be set`);
    }
    assert.equal(env.get('CNB_OTHER'), 'kept');
    assert.equal(env.get('WITH_EQUALS'), 'a=b=c');
  });

  // docs/decisions.md D-103: every element that is exactly /cnb/process or /cnb/lifecycle goes, as the
  // reference's env.NewLaunchEnv; the rest stays in order, empty elements included.
  const paths: [string, string][] = [
    ['/cnb/process:/cnb/lifecycle:/usr/bin:/bin', '/usr/bin:/bin'],
    ['/cnb/process:/usr/bin:/cnb/lifecycle:/bin:/opt/x', '/usr/bin:/bin:/opt/x'],
    ['/bin:/cnb/process:/cnb/process:/cnb/lifecycle', '/bin'],
    [
      '/cnb/process/:/cnb/lifecycle/bin:/cnb/processes:/bin',
      '/cnb/process/:/cnb/lifecycle/bin:/cnb/processes:/bin',
    ],
    ['/usr/bin::/cnb/lifecycle:/bin', '/usr/bin::/bin'],
    ['/cnb/process:/cnb/lifecycle', ''],
  ];
  for (const [given, want] of paths) {
    it(`PATH ${given} → ${JSON.stringify(want)}`, () => {
      const f = fixture().metadata([], []);
      // The launcher's own PATH lookup must still find `env`: run it by absolute path.
      const r = f.run(['--', '/usr/bin/env', '-0'], { env: { PATH: given } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseEnv0(r.stdout).get('PATH'), want);
    });
  }
});

describe('launcher: Layer Paths (buildpack.md)', () => {
  it('bin -> PATH and lib -> LD_LIBRARY_PATH: later buildpacks first, layers ascending within a buildpack', () => {
    const f = fixture().metadata(twoBuildpacks, [envProcess]);
    const a1 = f.layer('bp/first', 'a', { 'bin/.keep': '', 'lib/.keep': '' });
    const b1 = f.layer('bp/first', 'b', { 'bin/.keep': '', 'lib/.keep': '' });
    const a2 = f.layer('bp/second', 'a', { 'bin/.keep': '' });
    const c2 = f.layer('bp/second', 'c', { 'lib/.keep': '' });
    const env = envOf(f, 'web', { LD_LIBRARY_PATH: '/usr/lib/user' });
    assert.equal(
      env.get('PATH'),
      `${join(a2, 'bin')}:${join(a1, 'bin')}:${join(b1, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
    );
    assert.equal(
      env.get('LD_LIBRARY_PATH'),
      `${join(c2, 'lib')}:${join(a1, 'lib')}:${join(b1, 'lib')}:/usr/lib/user`,
    );
  });

  it('a layer executable is found on PATH by shell and direct commands', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'tools', { 'bin/bp-executable': script('echo bp executable ran') });
    assert.equal(f.run(['bp-executable']).stdout, 'bp executable ran\n');
    assert.equal(f.run(['--', 'bp-executable']).stdout, 'bp executable ran\n');
  });

  it('only launch layers count: <layer>.toml without [types] launch = true is skipped; no <layer>.toml (exported image) counts', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'build-only', { 'env/FROM_BUILD': 'x' }, '[types]\nbuild = true\nlaunch = false\n');
    f.layer('bp', 'top-level-flag', { 'env/FROM_TOP': 'x' }, 'launch = true\n');
    f.layer('bp', 'exported', { 'env/FROM_EXPORTED': 'yes' }, null);
    f.layer('bp', 'launch', { 'env/FROM_LAUNCH': 'yes' });
    const env = envOf(f);
    assert.equal(env.has('FROM_BUILD'), false);
    assert.equal(env.has('FROM_TOP'), false);
    assert.equal(env.get('FROM_EXPORTED'), 'yes');
    assert.equal(env.get('FROM_LAUNCH'), 'yes');
  });

  it('buildpacks without a layers directory are skipped; directories of buildpacks not in metadata.toml are ignored', () => {
    const f = fixture().metadata(
      [
        { id: 'bp/absent', api: '0.9' },
        { id: 'bp/present', api: '0.9' },
      ],
      [],
    );
    f.layer('bp/present', 'l', { 'env/PRESENT': 'yes' });
    f.layer('bp/stranger', 'l', { 'env/STRANGER': 'yes' });
    const env = envOf(f);
    assert.equal(env.get('PRESENT'), 'yes');
    assert.equal(env.has('STRANGER'), false);
  });
});

describe('launcher: Environment Variable Modification Rules (buildpack.md)', () => {
  it('file contents are used verbatim (no shell evaluation, trailing newline kept)', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', { 'env/VERBATIM': '$HOME `id` "q"\n' });
    assert.equal(envOf(f).get('VERBATIM'), '$HOME `id` "q"\n');
  });

  it('override (no suffix and .override): later buildpacks win; env.launch/<process> > env.launch > env', () => {
    const f = fixture().metadata(twoBuildpacks, [envProcess]);
    f.layer('bp/first', 'a', { 'env/ACROSS': 'first', 'env/WITHIN.override': 'env' });
    f.layer('bp/first', 'b', { 'env/WITHIN.override': 'env-b', 'env.launch/WITHIN': 'env.launch-b' });
    f.layer('bp/first', 'c', {
      'env/PROC': 'env',
      'env.launch/PROC': 'env.launch',
      'env.launch/web/PROC': 'env.launch/web',
    });
    f.layer('bp/second', 'a', { 'env.launch/ACROSS.override': 'second' });
    const env = envOf(f, 'web', { ACROSS: 'user', WITHIN: 'user' });
    assert.equal(env.get('ACROSS'), 'second');
    assert.equal(env.get('WITHIN'), 'env.launch-b');
    assert.equal(env.get('PROC'), 'env.launch/web');
  });

  it('default: only sets an empty variable, so the earliest file wins and user values stay', () => {
    const f = fixture().metadata(twoBuildpacks, [envProcess]);
    f.layer('bp/first', 'a', { 'env/D.default': 'first-a', 'env.launch/D2.default': 'env.launch' });
    f.layer('bp/first', 'b', { 'env/D.default': 'first-b', 'env.launch/web/D2.default': 'proc' });
    f.layer('bp/second', 'a', { 'env/D.default': 'second', 'env/USER_SET.default': 'bp' });
    const env = envOf(f, 'web', { USER_SET: 'user' });
    assert.equal(env.get('D'), 'first-a');
    assert.equal(env.get('D2'), 'env.launch');
    assert.equal(env.get('USER_SET'), 'user');
  });

  it('append with .delim: earlier buildpacks first, layers ascending, env -> env.launch -> env.launch/<process>', () => {
    const f = fixture().metadata(twoBuildpacks, [envProcess]);
    f.layer('bp/first', 'a', {
      'env/V.append': 'first-a-env',
      'env/V.delim': ':',
      'env.launch/V.append': 'first-a-launch',
      'env.launch/V.delim': ':',
      'env.launch/web/V.append': 'first-a-web',
      'env.launch/web/V.delim': ':',
    });
    f.layer('bp/first', 'b', { 'env/V.append': 'first-b', 'env/V.delim': ':' });
    f.layer('bp/second', 'a', { 'env.launch/V.append': 'second-a', 'env.launch/V.delim': ':' });
    const env = envOf(f, 'web', { V: 'user' });
    assert.equal(env.get('V'), 'user:first-a-env:first-a-launch:first-a-web:first-b:second-a');
  });

  it('prepend with .delim: later buildpacks first, layers descending, env.launch/<process> -> env.launch -> env', () => {
    const f = fixture().metadata(twoBuildpacks, [envProcess]);
    f.layer('bp/first', 'a', {
      'env/V.prepend': 'first-a-env',
      'env/V.delim': ':',
      'env.launch/V.prepend': 'first-a-launch',
      'env.launch/V.delim': ':',
      'env.launch/web/V.prepend': 'first-a-web',
      'env.launch/web/V.delim': ':',
    });
    f.layer('bp/first', 'b', { 'env/V.prepend': 'first-b', 'env/V.delim': ':' });
    f.layer('bp/second', 'a', { 'env.launch/V.prepend': 'second-a', 'env.launch/V.delim': ':' });
    const env = envOf(f, 'web', { V: 'user' });
    assert.equal(env.get('V'), 'second-a:first-b:first-a-web:first-a-launch:first-a-env:user');
  });

  it('.delim applies only within its own directory; without one, values are joined with no separator', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'a', { 'env/V.append': 'x', 'env/V.delim': '**', 'env.launch/V.append': 'y' });
    f.layer('bp', 'b', { 'env/NODELIM.prepend': 'pre', 'env/EMPTY.append': 'only' });
    const env = envOf(f, undefined, { V: 'user', NODELIM: 'user' });
    assert.equal(env.get('V'), 'user**xy');
    assert.equal(env.get('NODELIM'), 'preuser');
    assert.equal(env.get('EMPTY'), 'only', 'no delimiter when the variable was empty');
  });

  it('the reference acceptance case: user value, append with delim "**", and env.launch/<type> only for that type', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'worker', command: ['env'], direct: true, 'buildpack-id': 'bp' }],
    );
    f.layer('bp', 'l', {
      'env/SOME_VAR': 'some-bp-val',
      'env.launch/OTHER_VAR.append': 'other-bp-val',
      'env.launch/OTHER_VAR.delim': '**',
      'env.launch/WORKER_VAR.default': 'worker-no-process-val',
      'env.launch/worker/WORKER_VAR.override': 'worker-val',
    });
    const plain = envOf(f, undefined, { OTHER_VAR: 'other-user-val' });
    assert.equal(plain.get('SOME_VAR'), 'some-bp-val');
    assert.equal(plain.get('OTHER_VAR'), 'other-user-val**other-bp-val');
    assert.equal(plain.get('WORKER_VAR'), 'worker-no-process-val');
    assert.equal(envOf(f, 'worker').get('WORKER_VAR'), 'worker-val');
  });

  it('unknown suffixes and empty names are ignored', () => {
    const f = fixture().metadata([{ id: 'bp', api: '0.9' }], []);
    f.layer('bp', 'l', { 'env/ODD.unknown': 'x', 'env/.append': 'y', 'env/OK': 'ok' });
    const env = envOf(f);
    assert.equal(env.has('ODD'), false);
    assert.equal(env.has(''), false);
    assert.equal(env.get('OK'), 'ok');
  });
});
