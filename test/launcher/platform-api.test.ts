// What the Platform API changes in the launcher: user args before 0.10 (platform-0.9.md "launcher":
// appended to the process's args), and the execution environment from 0.15 (platform-0.15.md
// "Execution Environment": a process is eligible with no exec-env, "*", or CNB_EXEC_ENV listed).
import assert from 'node:assert/strict';
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

describe('launcher: user args by Platform API (platform-0.9.md / platform-0.10.md "launcher")', () => {
  const processes = [
    { type: 'web', command: ['echo', 'fixed'], args: ['default'], direct: true, 'buildpack-id': 'bp' },
  ];
  const cases: [api: string, out: string][] = [
    ['0.7', 'fixed default user\n'],
    ['0.9', 'fixed default user\n'],
    ['0.10', 'fixed user\n'],
    ['0.15', 'fixed user\n'],
  ];
  for (const [api, out] of cases) {
    it(`at ${api}: ${out.trim()}`, () => {
      const f = fixture().metadata([{ id: 'bp', api: '0.12' }], processes);
      const r = f.run(['user'], { exe: f.processLink('web'), env: { CNB_PLATFORM_API: api } });
      assert.equal(r.stdout, out, r.stderr);
    });
  }
});

describe('launcher: exec-env from Platform API 0.15 (platform-0.15.md "Execution Environment")', () => {
  const processes = [
    { type: 'web', command: ['echo', 'test-web'], direct: true, 'buildpack-id': 'bp', 'exec-env': ['test'] },
    {
      type: 'web',
      command: ['echo', 'prod-web'],
      direct: true,
      'buildpack-id': 'bp',
      'exec-env': ['production'],
    },
    { type: 'any', command: ['echo', 'any'], direct: true, 'buildpack-id': 'bp', 'exec-env': ['*'] },
    {
      type: 'only-test',
      command: ['echo', 'only-test'],
      direct: true,
      'buildpack-id': 'bp',
      'exec-env': ['test'],
    },
  ];
  const run = (type: string, env: Record<string, string | undefined>) => {
    const f = fixture().metadata([{ id: 'bp', api: '0.12' }], processes);
    return f.run([], { exe: f.processLink(type), env });
  };
  it('picks the process eligible for CNB_EXEC_ENV (default production)', () => {
    assert.equal(run('web', { CNB_PLATFORM_API: '0.15' }).stdout, 'prod-web\n');
    assert.equal(run('web', { CNB_PLATFORM_API: '0.15', CNB_EXEC_ENV: 'test' }).stdout, 'test-web\n');
    assert.equal(run('any', { CNB_PLATFORM_API: '0.15', CNB_EXEC_ENV: 'test' }).stdout, 'any\n');
  });
  it('no eligible process exits 82 naming the execution environment', () => {
    const r = run('only-test', { CNB_PLATFORM_API: '0.15' });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /process type only-test was not found for execution environment 'production'/);
  });
  it('before 0.15 exec-env is not looked at: the first process of the type runs', () => {
    assert.equal(run('web', { CNB_PLATFORM_API: '0.14', CNB_EXEC_ENV: 'production' }).stdout, 'test-web\n');
    assert.equal(run('only-test', { CNB_PLATFORM_API: '0.14' }).stdout, 'only-test\n');
  });
});
