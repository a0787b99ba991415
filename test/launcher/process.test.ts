// Process selection, arguments, working directory and exec-in-place
// (platform.md "launcher": deriving <cmd>, <args>, <working-dir>, <direct>; BUILDPACK-API-VERSIONS.md N).
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

describe('launcher: process selected by the last path element of $0 (platform.md "launcher")', () => {
  it('runs the process whose type is the symlink name', () => {
    const f = fixture().metadata(
      [{ id: 'bp/new', api: '0.10' }],
      [
        {
          type: 'web',
          command: ['echo', 'web-process'],
          args: ['default-arg'],
          direct: true,
          'buildpack-id': 'bp/new',
        },
        { type: 'worker', command: ['echo', 'worker-process'], direct: true, 'buildpack-id': 'bp/new' },
      ],
    );
    assert.equal(f.run([], { exe: f.processLink('web') }).stdout, 'web-process default-arg\n');
    assert.equal(f.run([], { exe: f.processLink('worker') }).stdout, 'worker-process\n');
  });

  it('accepts process types containing periods', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'process.with.period', command: ['echo', 'period'], direct: true, 'buildpack-id': 'bp' }],
    );
    assert.equal(f.run([], { exe: f.processLink('process.with.period') }).stdout, 'period\n');
  });

  it('a $0 that names no process type falls back to the user command', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'web', command: ['echo', 'web'], direct: true, 'buildpack-id': 'bp' }],
    );
    const r = f.run(['--', 'echo', 'user'], { exe: f.processLink('not-a-type') });
    assert.equal(r.stdout, 'user\n');
  });
});

describe('launcher: arguments by buildpack API (platform.md "launcher"; buildpack.md launch.toml)', () => {
  const bps = [
    { id: 'bp/new', api: '0.9' },
    { id: 'bp/old', api: '0.8' },
  ];

  it('API >= 0.9: user args replace the default args, command[1:] is always passed', () => {
    const f = fixture().metadata(bps, [
      {
        type: 'single',
        command: ['echo'],
        args: ['default-a', 'default-b'],
        direct: true,
        'buildpack-id': 'bp/new',
      },
      {
        type: 'multi',
        command: ['echo', 'always'],
        args: ['default'],
        direct: true,
        'buildpack-id': 'bp/new',
      },
    ]);
    assert.equal(f.run([], { exe: f.processLink('single') }).stdout, 'default-a default-b\n');
    assert.equal(f.run(['user-1', 'user-2'], { exe: f.processLink('single') }).stdout, 'user-1 user-2\n');
    assert.equal(f.run([], { exe: f.processLink('multi') }).stdout, 'always default\n');
    assert.equal(f.run(['user'], { exe: f.processLink('multi') }).stdout, 'always user\n');
  });

  it('API >= 0.9: the process is direct (no shell expansion) even if metadata says direct = false', () => {
    const f = fixture().metadata(bps, [
      { type: 'web', command: ['echo'], args: ['$HOME'], direct: false, 'buildpack-id': 'bp/new' },
    ]);
    assert.equal(f.run([], { exe: f.processLink('web'), env: { HOME: '/home/x' } }).stdout, '$HOME\n');
  });

  it('API < 0.9: user args are appended to the process args', () => {
    const f = fixture().metadata(bps, [
      {
        type: 'web',
        command: 'echo',
        args: ['Executing', 'web', 'process-type'],
        direct: true,
        'buildpack-id': 'bp/old',
      },
    ]);
    const r = f.run(['with user provided args'], { exe: f.processLink('web') });
    assert.equal(r.stdout, 'Executing web process-type with user provided args\n');
  });

  it('API < 0.9: direct = false is honoured (bash, variables expand)', () => {
    const f = fixture().metadata(bps, [
      { type: 'shell', command: 'echo', args: ['$GREETING'], direct: false, 'buildpack-id': 'bp/old' },
      { type: 'direct', command: 'echo', args: ['$GREETING'], direct: true, 'buildpack-id': 'bp/old' },
    ]);
    assert.equal(f.run([], { exe: f.processLink('shell'), env: { GREETING: 'hello' } }).stdout, 'hello\n');
    assert.equal(
      f.run([], { exe: f.processLink('direct'), env: { GREETING: 'hello' } }).stdout,
      '$GREETING\n',
    );
  });

  it('API < 0.9: a string command without args is a bash script', () => {
    const f = fixture().metadata(bps, [
      { type: 'script', command: 'echo one; echo two', direct: false, 'buildpack-id': 'bp/old' },
    ]);
    assert.equal(f.run([], { exe: f.processLink('script') }).stdout, 'one\ntwo\n');
  });

  it('user args for a one-entry command need the providing buildpack in metadata.toml (exit 82)', () => {
    const f = fixture().metadata(
      [{ id: 'bp/new', api: '0.9' }],
      [{ type: 'web', command: ['echo'], direct: true, 'buildpack-id': 'bp/missing' }],
    );
    const r = f.run(['x'], { exe: f.processLink('web') });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /failed to find buildpack for process web with buildpack ID bp\/missing/);
  });

  it('an empty command is an error (exit 82)', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'web', command: [], direct: true, 'buildpack-id': 'bp' }],
    );
    const r = f.run([], { exe: f.processLink('web') });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /no command provided for process type "web"/);
  });
});

describe('launcher: user-provided commands (platform.md "launcher" Else branch)', () => {
  it('`-- <cmd> <args>` is direct: no shell, args verbatim', () => {
    const f = fixture().metadata([], []);
    const r = f.run(['--', 'printf', '%s|', '$HOME', 'a  b'], { env: { HOME: '/h' } });
    assert.equal(r.stdout, '$HOME|a  b|');
  });

  it('`<cmd> <args>` runs through bash: variables expand, each arg stays one word', () => {
    const f = fixture().metadata([], []);
    const r = f.run(['printf', '%s|', '$GREETING', 'a  b'], { env: { GREETING: 'hi there' } });
    assert.equal(r.stdout, 'hi there|a  b|');
  });

  it('a single string is a bash script', () => {
    const f = fixture().metadata([], []);
    assert.equal(f.run(['echo something; echo else']).stdout, 'something\nelse\n');
  });

  it('no args and no process type: exit 82 with the reason', () => {
    const f = fixture().metadata([], []);
    const r = f.run([]);
    assert.equal(r.status, 82);
    assert.match(
      r.stderr,
      /ERROR: failed to launch: determine start command: when there is no default process a command is required/,
    );
  });

  it('CNB_PROCESS_TYPE is not supported at Platform 0.12: warns and is ignored (the reference behaviour)', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [{ type: 'web', command: ['echo', 'web'], direct: true, 'buildpack-id': 'bp' }],
    );
    const r = f.run([], { env: { CNB_PROCESS_TYPE: 'web' } });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /Warning: CNB_PROCESS_TYPE is not supported in Platform API 0.12/);
    assert.match(r.stderr, /Warning: Run with ENTRYPOINT 'web' to invoke the 'web' process type/);
  });
});

describe('launcher: working directory (platform.md "launcher" Execution 4)', () => {
  it('uses the process working-dir, else <app>; user commands run in <app>', () => {
    const f = fixture();
    const sub = join(f.dir, 'elsewhere');
    f.file(join(sub, 'marker'), '');
    f.metadata(
      [{ id: 'bp', api: '0.9' }],
      [
        { type: 'wd', command: ['pwd'], direct: true, 'working-dir': sub, 'buildpack-id': 'bp' },
        { type: 'nowd', command: ['pwd'], direct: true, 'buildpack-id': 'bp' },
      ],
    );
    assert.equal(f.run([], { exe: f.processLink('wd') }).stdout, `${realpathSync(sub)}\n`);
    assert.equal(f.run([], { exe: f.processLink('nowd') }).stdout, `${realpathSync(f.app)}\n`);
    assert.equal(f.run(['--', 'pwd']).stdout, `${realpathSync(f.app)}\n`);
    assert.equal(f.run(['pwd']).stdout, `${realpathSync(f.app)}\n`);
  });

  it('a missing working-dir is a launch error (exit 82)', () => {
    const f = fixture().metadata(
      [{ id: 'bp', api: '0.9' }],
      [
        {
          type: 'wd',
          command: ['pwd'],
          direct: true,
          'working-dir': '/does/not/exist',
          'buildpack-id': 'bp',
        },
      ],
    );
    const r = f.run([], { exe: f.processLink('wd') });
    assert.equal(r.status, 82);
    assert.match(r.stderr, /change directory.*\/does\/not\/exist/);
  });
});

describe('launcher: exec in place (platform.md "launcher": replace the launcher process)', () => {
  it('the process keeps the launcher PID, exit code and signals (direct)', () => {
    const f = fixture().metadata([], []);
    const r = f.run(['--', 'sh', '-c', 'echo $$; exit 42']);
    assert.equal(r.status, 42);
    const killed = f.run(['--', 'sh', '-c', 'kill -TERM $$']);
    assert.equal(killed.signal, 'SIGTERM');
  });

  it('the process keeps the launcher PID through bash (shell)', () => {
    const f = fixture().metadata([], []);
    const r = spawnSync(f.processLink('x'), ['echo $$; exit 7'], {
      env: f.env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.status, 7);
    assert.equal(r.stdout.trim(), String(r.pid));
    const d = spawnSync(f.processLink('x'), ['--', 'sh', '-c', 'echo $$'], {
      env: f.env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(d.stdout.trim(), String(d.pid));
  });

  it('a command not found on PATH is a launch error (exit 82)', () => {
    const f = fixture().metadata([], []);
    const r = f.run(['--', 'no-such-command-xyz']);
    assert.equal(r.status, 82);
    assert.match(r.stderr, /path lookup: exec: "no-such-command-xyz": executable file not found in \$PATH/);
  });
});
