import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApi } from './api.ts';
import { isLifecycleError } from './errors.ts';
import { flagOf } from './phase-flags.ts';
import { PHASE_DEFS, PHASES, type PhaseName } from './phases.ts';
import { resolveInputs } from './resolve.ts';

const none = () => false;

// platform.md "Usage": command line inputs take precedence over env vars, which beat defaults.
describe('resolveInputs precedence (platform.md "Usage")', () => {
  it('uses defaults when nothing is given', () => {
    const { inputs } = resolveInputs('detector', [], {}, none);
    assert.equal(inputs.layers, '/layers');
    assert.equal(inputs.app, '/workspace');
    assert.equal(inputs.group, '/layers/group.toml');
    assert.equal(inputs.plan, '/layers/plan.toml');
    assert.equal(inputs.analyzed, '/layers/analyzed.toml');
    assert.equal(inputs.order, '/cnb/order.toml');
    assert.equal(inputs.buildpacks, '/cnb/buildpacks');
    assert.equal(inputs.buildConfig, '/cnb/build-config');
    assert.equal(inputs.platform, '/platform');
    assert.equal(inputs.run, '/cnb/run.toml');
    assert.equal(inputs.generated, '/layers/generated');
    assert.equal(inputs.logLevel, 'info');
  });
  it('env beats default, and <layers>-relative defaults follow CNB_LAYERS_DIR', () => {
    const { inputs } = resolveInputs('detector', [], { CNB_LAYERS_DIR: '/l', CNB_APP_DIR: '/a' }, none);
    assert.equal(inputs.layers, '/l');
    assert.equal(inputs.app, '/a');
    assert.equal(inputs.group, '/l/group.toml');
  });
  it('flag beats env', () => {
    const env = { CNB_LAYERS_DIR: '/env-layers', CNB_GROUP_PATH: '/env-group.toml', CNB_LOG_LEVEL: 'warn' };
    const { inputs } = resolveInputs(
      'detector',
      ['-layers', '/flag', '-group=/g.toml', '-log-level', 'debug'],
      env,
      none,
    );
    assert.equal(inputs.layers, '/flag');
    assert.equal(inputs.group, '/g.toml');
    assert.equal(inputs.plan, '/flag/plan.toml');
    assert.equal(inputs.logLevel, 'debug');
  });
  it('-order defaults to <layers>/order.toml when present', () => {
    const { inputs } = resolveInputs('detector', ['-layers', '/x'], {}, (p) => p === '/x/order.toml');
    assert.equal(inputs.order, '/x/order.toml');
  });
  it('empty env vars count as unset', () => {
    const { inputs } = resolveInputs('builder', [], { CNB_APP_DIR: '' }, none);
    assert.equal(inputs.app, '/workspace');
  });
  it('boolean env vars use Go ParseBool, flags override them', () => {
    assert.equal(resolveInputs('analyzer', ['img'], { CNB_USE_DAEMON: 'true' }, none).inputs.daemon, true);
    assert.equal(resolveInputs('analyzer', ['img'], { CNB_USE_DAEMON: '1' }, none).inputs.daemon, true);
    assert.equal(
      resolveInputs('analyzer', ['-daemon=false', 'img'], { CNB_USE_DAEMON: 'true' }, none).inputs.daemon,
      false,
    );
  });
  it('uid/gid from env or flags are integers', () => {
    const r = resolveInputs('analyzer', ['-uid', '1000', 'img'], { CNB_GROUP_ID: '1001' }, none).inputs;
    assert.equal(r.uid, 1000);
    assert.equal(r.gid, 1001);
  });
  it('detector and builder read CNB_USER_ID/CNB_GROUP_ID but take no -uid flag (S-7)', () => {
    const r = resolveInputs('builder', [], { CNB_USER_ID: '1000', CNB_GROUP_ID: '1001' }, none).inputs;
    assert.equal(r.uid, 1000);
    assert.equal(r.gid, 1001);
    assert.throws(
      () => resolveInputs('detector', ['-uid', '5'], {}, none),
      /flag provided but not defined: -uid/,
    );
  });
  it('-tag is repeatable and positional images are kept', () => {
    const r = resolveInputs('analyzer', ['-tag', 'a:1', '-tag', 'a:2', 'app:latest'], {}, none).inputs;
    assert.deepEqual(r.tags, ['a:1', 'a:2']);
    assert.deepEqual(r.images, ['app:latest']);
  });
  it('rebaser and exporter take the deprecated -image as its own input (the runners apply its rules)', () => {
    const r = resolveInputs('rebaser', ['-image', 'run:2', 'app'], {}, none).inputs;
    assert.equal(r.deprecatedRunImage, 'run:2');
    assert.equal(r.runImage, undefined);
  });
  it('CNB_INSECURE_REGISTRIES is a comma-separated list', () => {
    const r = resolveInputs('exporter', ['app'], { CNB_INSECURE_REGISTRIES: 'a:5000, b' }, none).inputs;
    assert.deepEqual(r.insecureRegistries, ['a:5000', 'b']);
  });
  it('"warning" is accepted as a log level', () => {
    assert.equal(resolveInputs('builder', ['-log-level', 'warning'], {}, none).inputs.logLevel, 'warn');
  });
  it('reports experimental inputs (platform.md "Experimental Features")', () => {
    const r = resolveInputs('analyzer', ['-layout', '-layout-dir', '/o', 'img'], {}, none);
    assert.deepEqual(r.experimental, ['export to OCI layout format']);
    assert.deepEqual(resolveInputs('analyzer', ['img'], {}, none).experimental, []);
  });
});

// docs/reference-behaviour.md §0.4: 2 for flag syntax (Go's flag package), 1 for a bad log level, 3 for
// invalid arguments and inputs.
describe('resolveInputs rejects bad input with the reference exit codes', () => {
  const bad: [PhaseName, string[], Record<string, string>, RegExp, number?][] = [
    ['detector', ['img'], {}, /detector takes no arguments/],
    ['analyzer', [], {}, /analyzer needs an <image>/],
    ['analyzer', ['a', 'b'], {}, /exactly one <image>/],
    ['exporter', [], {}, /at least one <image>/],
    ['rebaser', [], {}, /at least one <image>/],
    ['builder', ['-daemon'], {}, /flag provided but not defined: -daemon/, 2],
    ['builder', ['-log-level', 'loud'], {}, /failed to parse log level: invalid log level 'loud'/, 1],
    ['analyzer', ['img'], { CNB_USE_DAEMON: 'yes' }, /invalid boolean value 'yes' for CNB_USE_DAEMON/],
    ['analyzer', ['img'], { CNB_USER_ID: 'root' }, /invalid value 'root' for CNB_USER_ID/],
    ['analyzer', ['-layout', 'img'], {}, /-layout needs -layout-dir/],
    ['extender', ['-kind', 'both'], {}, /invalid -kind 'both'/],
  ];
  for (const [phase, args, env, re, code = 3] of bad) {
    it(`${phase} ${args.join(' ')} ${JSON.stringify(env)} → exit ${code}`, () => {
      assert.throws(
        () => resolveInputs(phase, args, env, none),
        (e) => isLifecycleError(e) && e.exitCode === code && re.test(e.message),
      );
    });
  }
});

describe('phase table (platform.md "Usage")', () => {
  const expected: Record<PhaseName, string[]> = {
    analyzer: [
      'analyzed',
      'cache-image',
      'daemon',
      'gid',
      'launch-cache',
      'layers',
      'layout',
      'layout-dir',
      'log-level',
      'previous-image',
      'run',
      'run-image',
      'skip-layers',
      'tag',
      'uid',
    ],
    detector: [
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'extensions',
      'generated',
      'group',
      'layers',
      'log-level',
      'order',
      'plan',
      'platform',
      'run',
    ],
    restorer: [
      'analyzed',
      'build-image',
      'cache-dir',
      'cache-image',
      'daemon',
      'gid',
      'group',
      'layers',
      'log-level',
      'skip-layers',
      'uid',
    ],
    extender: [
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'extended',
      'generated',
      'gid',
      'group',
      'kaniko-cache-ttl',
      'kind',
      'layers',
      'log-level',
      'plan',
      'platform',
      'uid',
    ],
    builder: [
      'analyzed',
      'app',
      'build-config',
      'buildpacks',
      'group',
      'layers',
      'log-level',
      'plan',
      'platform',
    ],
    exporter: [
      'analyzed',
      'app',
      'cache-dir',
      'cache-image',
      'daemon',
      'extended',
      'gid',
      'group',
      'launch-cache',
      'launcher',
      'launcher-sbom',
      'layers',
      'layout',
      'layout-dir',
      'log-level',
      'process-type',
      'project-metadata',
      'report',
      'run',
      'uid',
    ],
    creator: [
      'app',
      'buildpacks',
      'cache-dir',
      'cache-image',
      'daemon',
      'gid',
      'launch-cache',
      'launcher',
      'layers',
      'layout',
      'layout-dir',
      'log-level',
      'order',
      'platform',
      'previous-image',
      'process-type',
      'project-metadata',
      'report',
      'run',
      'run-image',
      'skip-restore',
      'tag',
      'uid',
    ],
    rebaser: ['daemon', 'force', 'gid', 'log-level', 'previous-image', 'report', 'run-image', 'uid'],
  };
  for (const phase of PHASES) {
    it(`${phase} accepts every flag of its usage`, () => {
      const flags = PHASE_DEFS[phase].flags.map((f) => flagOf(f).flag);
      for (const f of expected[phase]) assert.ok(flags.includes(f), `${phase} -${f}`);
    });
  }
});

describe('inputs per Platform API (platform-versions/platform-0.X.md "Inputs"; D-300)', () => {
  const v = (s: string) => parseApi(s)!;
  const exitOf = (phase: PhaseName, args: string[], api: string, env = {}) => {
    try {
      resolveInputs(phase, args, env, none, v(api));
      return 0;
    } catch (e) {
      return isLifecycleError(e) ? e.exitCode : -1;
    }
  };
  // [phase, flag args, versions where the flag exists, versions where it is undefined (exit 2)]
  const cases: [PhaseName, string[], string[], string[]][] = [
    ['analyzer', ['-stack', '/s.toml', 'img'], ['0.7', '0.11'], ['0.12', '0.15']],
    ['analyzer', ['-run', '/r.toml', 'img'], ['0.12', '0.15'], ['0.7', '0.11']],
    ['analyzer', ['-skip-layers', 'img'], ['0.9', '0.15'], ['0.7', '0.8']],
    ['analyzer', ['-launch-cache', '/c', 'img'], ['0.9'], ['0.8']],
    ['analyzer', ['-insecure-registry', 'r:5000', 'img'], ['0.13', '0.15'], ['0.7', '0.12']],
    ['detector', ['-analyzed', '/a.toml'], ['0.10'], ['0.9']],
    ['detector', ['-extensions', '/e'], ['0.10'], ['0.9']],
    ['detector', ['-build-config', '/b'], ['0.11'], ['0.10']],
    ['detector', ['-run', '/r.toml'], ['0.12'], ['0.11']],
    ['restorer', ['-build-image', 'b:1'], ['0.10'], ['0.9']],
    ['restorer', ['-daemon'], ['0.12'], ['0.11']],
    ['restorer', ['-run', '/r.toml'], ['0.14', '0.15'], ['0.13']],
    ['builder', ['-analyzed', '/a.toml'], ['0.12'], ['0.11']],
    ['builder', ['-build-config', '/b'], ['0.11'], ['0.10']],
    ['exporter', ['-launcher-sbom', '/l', 'img'], ['0.11'], ['0.10']],
    ['exporter', ['-stack', '/s.toml', 'img'], ['0.11'], ['0.12']],
    ['exporter', ['-parallel', 'img'], ['0.7', '0.15'], []],
    ['creator', ['-stack', '/s.toml', 'img'], ['0.7', '0.15'], []],
    ['creator', ['-run', '/r.toml', 'img'], ['0.12'], ['0.11']],
    ['rebaser', ['-previous-image', 'p', 'img'], ['0.11'], ['0.10']],
    ['rebaser', ['-force', 'img'], ['0.12'], ['0.11']],
    ['extender', ['-kind', 'run'], ['0.12'], ['0.11']],
    ['detector', ['-system', '/s.toml'], ['0.15'], ['0.7', '0.14']],
    ['creator', ['-system', '/s.toml', 'img'], ['0.15'], ['0.7', '0.14']],
    // `-image` (deprecated -run-image) on the exporter and rebaser only, as the reference (D-312).
    ['exporter', ['-image', 'r:1', 'img'], ['0.7', '0.15'], []],
    ['rebaser', ['-image', 'r:1', 'img'], ['0.7', '0.15'], []],
    ['analyzer', ['-image', 'r:1', 'img'], [], ['0.7', '0.15']],
    ['creator', ['-image', 'r:1', 'img'], [], ['0.7', '0.15']],
  ];
  for (const [phase, args, ok, undefinedAt] of cases) {
    it(`${phase} ${args[0]}: exists at ${ok.join(', ') || 'no version'}${undefinedAt.length ? `, exit 2 at ${undefinedAt.join(', ')}` : ''}`, () => {
      for (const a of ok) assert.equal(exitOf(phase, args, a, { CNB_RUN_IMAGE: 'r:1' }), 0, a);
      for (const a of undefinedAt) assert.equal(exitOf(phase, args, a), 2, a);
    });
  }
  it('env vars are read at every version, as the reference: CNB_INSECURE_REGISTRIES at 0.12', () => {
    const r = resolveInputs('analyzer', ['img'], { CNB_INSECURE_REGISTRIES: 'r:5000' }, none, v('0.12'));
    assert.deepEqual(r.inputs.insecureRegistries, ['r:5000']);
    const s = resolveInputs('analyzer', ['img'], { CNB_STACK_PATH: '/my/stack.toml' }, none, v('0.11'));
    assert.equal(s.inputs.stack, '/my/stack.toml');
    assert.equal(resolveInputs('analyzer', ['img'], {}, none, v('0.7')).inputs.stack, '/cnb/stack.toml');
  });
  it('-build-image is experimental before 0.13 only (platform-0.13.md: extensions leave experimental)', () => {
    const exp = (api: string) =>
      resolveInputs('restorer', ['-build-image', 'b:1'], {}, none, v(api)).experimental;
    assert.deepEqual(exp('0.12'), ['Dockerfiles']);
    assert.deepEqual(exp('0.13'), []);
  });
});
