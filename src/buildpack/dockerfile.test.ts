// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${base_image}
// Generated Dockerfiles (image-extension.md "Dockerfile Requirements").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { memoryLogger } from '../platform/log.ts';
import { analyzeRunDockerfile, checkBuildDockerfile, parseDockerfile } from './dockerfile.ts';

describe('parseDockerfile', () => {
  it('skips comments and blank lines, joins continuations, keeps line numbers', () => {
    const ins = parseDockerfile(
      '# c\nARG base_image\n\nFROM ${base_image}\nrun echo a \\\n  # inner comment\n  b\n',
    );
    assert.deepEqual(ins, [
      { name: 'ARG', args: 'base_image', line: 2 },
      { name: 'FROM', args: '${base_image}', line: 4 },
      { name: 'RUN', args: 'echo a  b', line: 5 },
    ]);
  });

  it('attaches heredoc bodies to RUN, COPY and ADD only, keeping the following line numbers', () => {
    const ins = parseDockerfile(
      "RUN <<EOF\n# not a comment\n\nEOF\nCOPY <<-'A' <<B /d/\n\tx $y\n\tA\nB\nENV X=<<Y\nUSER 1\n",
    );
    assert.deepEqual(ins, [
      {
        name: 'RUN',
        args: '<<EOF',
        line: 1,
        heredocs: [{ name: 'EOF', data: '# not a comment\n\n', expand: true, terminated: true }],
      },
      {
        name: 'COPY',
        args: "<<-'A' <<B /d/",
        line: 5,
        heredocs: [
          { name: 'A', data: 'x $y\n', expand: false, terminated: true },
          { name: 'B', data: '', expand: true, terminated: true },
        ],
      },
      { name: 'ENV', args: 'X=<<Y', line: 9 },
      { name: 'USER', args: '1', line: 10 },
    ]);
  });

  it('reads no heredoc from a quoted << or one inside a word, as BuildKit reads words', () => {
    const ins = parseDockerfile(
      'RUN echo "a <<b" \'c <<EOF\' x<<EOF \\<<EOF > /x\nRUN echo z\nRUN cat <<"EOF"\n$HOME\nEOF\n',
    );
    assert.deepEqual(ins, [
      { name: 'RUN', args: 'echo "a <<b" \'c <<EOF\' x<<EOF \\<<EOF > /x', line: 1 },
      { name: 'RUN', args: 'echo z', line: 2 },
      {
        name: 'RUN',
        args: 'cat <<"EOF"',
        line: 3,
        heredocs: [{ name: 'EOF', data: '$HOME\n', expand: false, terminated: true }],
      },
    ]);
  });
});

describe('checkBuildDockerfile', () => {
  const ok = 'ARG base_image\nFROM ${base_image}\nRUN echo hi\n';
  it('accepts the required preamble', () =>
    assert.doesNotThrow(() => checkBuildDockerfile(ok, 'b', memoryLogger())));
  it('accepts an ARG default and $base_image', () =>
    assert.doesNotThrow(() =>
      checkBuildDockerfile('ARG base_image=x\nFROM $base_image\n', 'b', memoryLogger()),
    ));
  const bad: [string, string, RegExp][] = [
    ['no ARG', 'FROM ${base_image}\n', /must begin with "ARG base_image"/],
    ['another ARG first', 'ARG other\nFROM ${base_image}\n', /must begin with "ARG base_image"/],
    ['a fixed base', 'ARG base_image\nFROM ubuntu\n', /must have "FROM \$\{base_image\}"/],
    ['no FROM', 'ARG base_image\n', /must have "FROM/],
    ['two stages', 'ARG base_image\nFROM ${base_image}\nFROM ${base_image}\n', /multi-stage/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name} (exit 92)`, () =>
      assert.throws(
        () => checkBuildDockerfile(text, '/x/build.Dockerfile', memoryLogger()),
        (e) =>
          isLifecycleError(e) &&
          e.exitCode === 92 &&
          re.test(e.message) &&
          e.message.startsWith('/x/build.Dockerfile: '),
      ));
  }
  it('warns about instructions outside the recommended set', () => {
    const log = memoryLogger();
    checkBuildDockerfile('ARG base_image\nFROM ${base_image}\nEXPOSE 80\n', 'b', log);
    assert.deepEqual(log.lines, [
      'warn: b:3: the EXPOSE instruction is not recommended in a generated Dockerfile',
    ]);
  });
});

describe('analyzeRunDockerfile', () => {
  const cases: [string, string, { newBase?: string; extend: boolean }][] = [
    ['switch only', 'FROM some-run-image\n', { newBase: 'some-run-image', extend: false }],
    ['extend the base', 'ARG base_image\nFROM ${base_image}\nRUN apt-get install x\n', { extend: true }],
    ['base unchanged, nothing added', 'ARG base_image\nFROM ${base_image}\n', { extend: false }],
    [
      'switch and extend, with --platform and AS',
      'FROM --platform=linux/amd64 img:1 AS run\nUSER 1000\n',
      { newBase: 'img:1', extend: true },
    ],
  ];
  for (const [name, text, want] of cases)
    it(name, () => assert.deepEqual(analyzeRunDockerfile(text, 'r', memoryLogger()), want));
  it('rejects no FROM and multiple FROMs', () => {
    assert.throws(() => analyzeRunDockerfile('RUN x\n', 'r', memoryLogger()), /has no FROM/);
    assert.throws(() => analyzeRunDockerfile('FROM a\nFROM b\n', 'r', memoryLogger()), /multi-stage/);
  });
});
