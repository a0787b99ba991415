// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryLogger } from '../platform/index.ts';
import { applyDockerfile, type RunCommand } from './apply.ts';
import { checkDockerfile } from './dockerfile-steps.ts';
import { parseDockerignore } from './dockerignore.ts';

let dir: string;
let root: string;
let context: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extend-apply-'));
  root = join(dir, 'root');
  context = join(dir, 'ctx');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'usr', 'lib'), { recursive: true });
  await symlink('usr/lib', join(root, 'lib'));
  await writeFile(
    join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1001::/home/cnb:/bin/sh\n',
  );
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\ncnb:x:1001:\nstaff:x:50:\n');
  await mkdir(join(context, 'sub', 'deep'), { recursive: true });
  await writeFile(join(context, 'a.txt'), 'A');
  await writeFile(join(context, 'b.txt'), 'B', { mode: 0o750 });
  await writeFile(join(context, 'sub', 'deep', 'c'), 'C');
});
after(() => rm(dir, { recursive: true, force: true }));

async function apply(
  text: string,
  opts: {
    args?: Record<string, string>;
    env?: string[];
    user?: string;
    ignore?: ReturnType<typeof parseDockerignore>;
  } = {},
) {
  const runs: RunCommand[] = [];
  const steps: string[] = [];
  const config = await applyDockerfile(
    {
      dockerfile: checkDockerfile(text, 'ext/build.Dockerfile'),
      config: {
        Env: opts.env ?? ['PATH=/usr/bin:/bin', 'SECRET_FREE=1'],
        ...(opts.user ? { User: opts.user } : {}),
      },
      buildArgs: new Map(
        Object.entries({ base_image: 'base@sha256:00', user_id: '1000', ...(opts.args ?? {}) }),
      ),
      context,
      ...(opts.ignore ? { ignore: opts.ignore } : {}),
      root,
      run: async (c) => {
        runs.push(c);
      },
      onStep: async (s) => {
        steps.push(`${s.createdBy}${s.fs ? ' (fs)' : ''}`);
      },
    },
    memoryLogger(),
  );
  return { config, runs, steps };
}

describe('applyDockerfile', () => {
  it('sets ENV, LABEL, USER, WORKDIR and SHELL in the config, expanding ENV and declared ARGs', async () => {
    const { config, steps } = await apply(
      [
        'ARG base_image',
        'FROM ${base_image}',
        'ARG user_id',
        'ARG undeclared_default=dflt',
        'ENV HOME_DIR=/opt/$user_id OTHER="a b"',
        'ENV LEGACY value with spaces',
        'LABEL io.buildpacks.rebasable=true "x.y"="${undeclared_default}"',
        'WORKDIR /work',
        'WORKDIR sub',
        'USER ${user_id}:cnb',
        'SHELL ["/bin/bash", "-c"]',
      ].join('\n'),
    );
    assert.deepEqual(config.Env, [
      'PATH=/usr/bin:/bin',
      'SECRET_FREE=1',
      'HOME_DIR=/opt/1000',
      'OTHER=a b',
      'LEGACY=value with spaces',
    ]);
    assert.deepEqual(config.Labels, { 'io.buildpacks.rebasable': 'true', 'x.y': 'dflt' });
    assert.equal(config.WorkingDir, '/work/sub');
    assert.equal(config.User, '1000:cnb');
    assert.deepEqual(config['Shell'], ['/bin/bash', '-c']);
    assert.ok((await lstat(join(root, 'work', 'sub'))).isDirectory());
    assert.equal(steps.length, 9);
    assert.equal(steps[5], 'WORKDIR /work (fs)');
  });

  it('runs RUN with the image env and declared args only, as the image user, in the workdir', async () => {
    const { runs } = await apply(
      [
        'ARG base_image',
        'FROM ${base_image}',
        'ARG build_id=0',
        'ARG ext_arg',
        'USER cnb',
        'WORKDIR /tmp',
        'RUN echo "$build_id" \\',
        '  && true',
        'RUN ["/bin/true", "x"]',
      ].join('\n'),
      { args: { build_id: 'uuid-1', ext_arg: 'v', not_declared: 'nope' } },
    );
    assert.equal(runs.length, 2);
    const [shell, exec] = runs as [RunCommand, RunCommand];
    assert.deepEqual(shell.argv, ['/bin/sh', '-c', 'echo "$build_id"  && true']);
    assert.deepEqual(shell.env, {
      PATH: '/usr/bin:/bin',
      SECRET_FREE: '1',
      build_id: 'uuid-1',
      ext_arg: 'v',
      HOME: '/home/cnb',
    });
    assert.deepEqual(shell.user, { uid: 1000, gid: 1001, home: '/home/cnb' });
    assert.equal(shell.cwd, '/tmp');
    assert.deepEqual(exec.argv, ['/bin/true', 'x']);
  });

  it('COPY: files, directory contents, wildcards, --chown/--chmod, through symlinked parents', async () => {
    await apply(
      [
        'ARG base_image',
        'FROM ${base_image}',
        'COPY a.txt /lib/copied/one.txt',
        'COPY --chown=cnb:staff --chmod=600 b.txt /opt/',
        'COPY sub /opt/sub/',
        'COPY *.txt /glob/',
        'WORKDIR /rel',
        'COPY ["a.txt", "here"]',
      ].join('\n'),
    );
    assert.equal(await readFile(join(root, 'usr', 'lib', 'copied', 'one.txt'), 'utf8'), 'A');
    const b = await lstat(join(root, 'opt', 'b.txt'));
    assert.equal(b.mode & 0o777, 0o600);
    assert.deepEqual([b.uid, b.gid], [1000, 50]);
    assert.equal(await readFile(join(root, 'opt', 'sub', 'deep', 'c'), 'utf8'), 'C');
    assert.equal(await readFile(join(root, 'glob', 'b.txt'), 'utf8'), 'B');
    assert.equal((await lstat(join(root, 'glob', 'b.txt'))).mode & 0o777, 0o750);
    assert.equal(await readFile(join(root, 'rel', 'here'), 'utf8'), 'A');
    assert.equal(await readlink(join(root, 'lib')), 'usr/lib');
  });

  it('refuses what it does not apply, naming the file and line', async () => {
    const bad: [string, RegExp][] = [
      [
        'ARG base_image\nFROM ${base_image}\nEXPOSE 80',
        /build\.Dockerfile:3: the EXPOSE instruction is not supported/,
      ],
      ['ARG base_image\nFROM ${base_image}\nCOPY --from=x /a /b', /:3: COPY --from is not supported/],
      ['ARG base_image\nFROM ${base_image}\nADD https://example.com/x /x', /:3: ADD from a URL/],
      ['FROM ubuntu', /:1: FROM must be "FROM \$\{base_image\}"/],
      ['ARG base_image\nFROM ${base_image}\nFROM ${base_image}', /:3: multi-stage/],
      ['ENV X=1\nFROM ${base_image}', /:1: ENV before FROM/],
      ['RUN true', /has no FROM/],
    ];
    for (const [text, re] of bad) assert.throws(() => checkDockerfile(text, 'ext/build.Dockerfile'), re);
    await assert.rejects(
      apply('ARG base_image\nFROM ${base_image}\n\nCOPY missing.txt /x'),
      (e: Error & { exitCode?: number }) =>
        /build\.Dockerfile:4: COPY failed: no source files/.test(e.message) && e.exitCode === 102,
    );
    await assert.rejects(
      apply('ARG base_image\nFROM ${base_image}\nCOPY ../x /x'),
      /outside the build context/,
    );
    await assert.rejects(
      apply('ARG base_image\nFROM ${base_image}\nUSER nobody\nRUN true'),
      /:4: RUN failed: USER nobody: no user/,
    );
  });

  it('heredocs: a RUN of only a heredoc is the command string or a #! script on fd 3, others follow the command; COPY writes them', async () => {
    const { runs } = await apply(
      [
        'ARG base_image',
        'FROM ${base_image}',
        'RUN <<EOF',
        'echo "$HOME"',
        'EOF',
        'RUN <<-"PY"',
        '\t#!/usr/bin/python3 -u',
        '\tprint(1)',
        '\tPY',
        'RUN cat <<A > /a && cat <<B > /b',
        'a',
        'A',
        'b',
        'B',
        'COPY --chmod=600 <<one <<two /opt/docs/',
        'first $HOME',
        'one',
        'second',
        'two',
        'WORKDIR /opt',
        'ADD <<EOF rel.txt',
        'x',
        'EOF',
      ].join('\n'),
    );
    assert.deepEqual(
      runs.map((r) => r.argv),
      [
        ['/bin/sh', '-c', 'echo "$HOME"\n'],
        [
          '/bin/sh',
          '-c',
          `exec "$@" 3<<'CNB_HEREDOC_SCRIPT'\n#!/usr/bin/python3 -u\nprint(1)\nCNB_HEREDOC_SCRIPT\n`,
          'sh',
          '/usr/bin/python3',
          '-u',
          '/dev/fd/3',
        ],
        ['/bin/sh', '-c', 'cat <<A > /a && cat <<B > /b\na\nA\nb\nB'],
      ],
    );
    assert.equal(await readFile(join(root, 'opt', 'docs', 'one'), 'utf8'), 'first $HOME\n');
    assert.equal((await lstat(join(root, 'opt', 'docs', 'two'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(root, 'opt', 'rel.txt'), 'utf8'), 'x\n');
    assert.equal((await lstat(join(root, 'opt', 'rel.txt'))).mode & 0o777, 0o644);
    assert.throws(
      () => checkDockerfile('ARG base_image\nFROM ${base_image}\nRUN <<EOF\necho\n', 'ext/Dockerfile'),
      /ext\/Dockerfile:3: the heredoc <<EOF has no terminating "EOF" line/,
    );
  });

  it('.dockerignore: excluded paths are not in the context, exceptions re-include', async () => {
    const ignore = parseDockerignore('# c\n*.txt\n!b.txt\nsub\n!sub/deep/c\n', '/ctx/.dockerignore');
    await apply('ARG base_image\nFROM ${base_image}\nCOPY . /ignored/\n', { ignore });
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(join(root, 'ignored'))).sort(), ['b.txt', 'sub']);
    assert.equal(await readFile(join(root, 'ignored', 'sub', 'deep', 'c'), 'utf8'), 'C');
    assert.equal((await lstat(join(root, 'ignored', 'sub'))).mode & 0o777, 0o755);
    await assert.rejects(
      apply('ARG base_image\nFROM ${base_image}\nCOPY a.txt /x\n', { ignore }),
      /:3: COPY failed: no source files were found for 'a.txt' .*\(after \/ctx\/\.dockerignore\)/,
    );
  });
});
