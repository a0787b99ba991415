// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${...} variables
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildImage, familyOf, layout } from '../../src/image/index.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { buildBaseImage, publish, runBaseImage, showRun } from '../support/platform/index.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import {
  assertSameListing,
  dockerOn,
  type ExtenderEnv,
  exportListing,
  lifecycleTar,
  workspace,
} from './helpers.ts';

/**
 * The Dockerfile features real extensions use, applied by `extender -kind run` in a container of the
 * run image, and the same Dockerfile and context through `docker build` on the same image: the two
 * file trees (`docker export` listings: type, mode, owner, size, name, link target) are the same.
 * Covers `.dockerignore` with an exception, Go's character classes (`[^x]` negates, `[!x]` holds a
 * literal `!`, D-410), `dir/**` (not dir itself) and a leading `**` suffix match (D-411), heredocs in RUN and COPY (for `docker build` written as
 * the RUNs making the same files: the classic builder has no heredocs), ADD of a gzip and a plain tar
 * (extracted, the archive's owners kept), ADD of files that only start like bzip2 or are empty bzip2,
 * xz and zstd streams (copied as they are, D-412), SHELL, `useradd` (the final user), chmod, ln and rm.
 */

const run = promisify(execFile);
let dockerd: Dockerd;
let registry: RegistryHandle;
let e: ExtenderEnv;
let docker: (args: readonly string[]) => Promise<string>;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'extender-features-'));
  [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  docker = dockerOn(dockerd);
  const [build, runImage] = await Promise.all([
    buildBaseImage().then((i) => publish(registry.host, 'build:latest', i)),
    runBaseImage('a').then((i) => publish(registry.host, 'run:latest', i, { dockerd })),
  ]);
  e = { dockerd, build, runImage, lifecycle: await lifecycleTar(), dir };
});
after(async () => {
  await Promise.allSettled([dockerd?.stop(), registry?.stop()]);
  if (e) await rm(e.dir, { recursive: true, force: true });
});

const DOCKERFILE = [
  'ARG base_image',
  'FROM ${base_image}',
  'ARG user_id',
  'ARG group_id',
  'USER root',
  'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
  'RUN [[ -n "$BASH_VERSION" ]] && useradd -l -m -u 1003 -g ${group_id} -s /bin/bash appuser',
  'RUN <<EOF',
  'set -e',
  // D-422: stdin is empty; before, this cat read the rest of the script and nothing below ran.
  'cat > /dev/null',
  'mkdir -p /opt/feat',
  'echo "a script" > /opt/feat/script.txt',
  'chmod 751 /opt/feat',
  'EOF',
  "RUN cat <<'EOF' > /opt/feat/here.txt",
  'heredoc in a command',
  'EOF',
  'COPY <<EOF /opt/feat/copied.txt',
  'copied from a heredoc',
  'EOF',
  'RUN <<EOF',
  '#!/bin/bash -e',
  'cat > /dev/null',
  'echo "from a #! script: $0" > /opt/feat/shebang.txt',
  'EOF',
  'COPY . /opt/ctx/',
  'ADD bundle.tar.gz /opt/bundle/',
  'ADD plain.tar /opt/plain',
  'ADD fake.tar.bz2 empty.bz2 empty.xz empty.zst /opt/packed/',
  'WORKDIR /opt/feat',
  'RUN ln -s here.txt link && ln here.txt hard && chmod 600 here.txt && rm -r /usr/share/zoneinfo/Asia',
  'LABEL io.buildpacks.rebasable=true',
  'USER appuser',
].join('\n');

/**
 * The Dockerfile for the classic builder (the test engine has no BuildKit, and the classic builder
 * reads no heredocs): each heredoc instruction replaced by the RUN that makes the same files.
 */
const CLASSIC = DOCKERFILE.replace(
  /RUN <<EOF\n[\s\S]*?\nEOF\nRUN cat <<'EOF' > \/opt\/feat\/here.txt\n.*\nEOF\nCOPY <<EOF \/opt\/feat\/copied.txt\n.*\nEOF\nRUN <<EOF\n#![\s\S]*?\nEOF/,
  [
    'RUN set -e; mkdir -p /opt/feat; echo "a script" > /opt/feat/script.txt; chmod 751 /opt/feat',
    "RUN echo 'heredoc in a command' > /opt/feat/here.txt",
    "RUN echo 'copied from a heredoc' > /opt/feat/copied.txt",
    "RUN echo 'from a #! script: /dev/fd/3' > /opt/feat/shebang.txt",
  ].join('\n'),
);

/** The app dir (the build context): files, an ignored tree with an exception, two archives. */
async function appFiles(app: string): Promise<void> {
  await writeFile(
    join(app, '.dockerignore'),
    [
      '# the Dockerfile and this file are not copied',
      'Dockerfile',
      '.dockerignore',
      '*.secret',
      'logs',
      '!logs/keep.log',
      '[!q]x.bin',
      '[^p]y.bin',
      'cache/**',
      '**ore.txt',
      '',
    ].join('\n'),
  );
  for (const f of ['qx.bin', '!x.bin', 'px.bin', 'py.bin', 'zy.bin']) await writeFile(join(app, f), f);
  await mkdir(join(app, 'cache', 'sub'), { recursive: true });
  await writeFile(join(app, 'cache', 'sub', 'b'), 'dropped\n');
  await writeFile(join(app, 'token.secret'), 'no');
  await mkdir(join(app, 'logs', 'old'), { recursive: true });
  await writeFile(join(app, 'logs', 'keep.log'), 'kept\n');
  await writeFile(join(app, 'logs', 'drop.log'), 'dropped\n');
  await writeFile(join(app, 'logs', 'old', 'x.log'), 'dropped\n');
  await mkdir(join(app, 'src', 'lib'), { recursive: true });
  await writeFile(join(app, 'src', 'lib', 'main.sh'), 'echo main\n', { mode: 0o755 });
  await writeFile(join(app, 'src', 'lib', 'more.txt'), 'dropped\n');
  await writeFile(join(app, 'src', 'ore.md'), 'kept\n');
  const stage = join(app, '..', 'archive');
  await mkdir(join(stage, 'share', 'data'), { recursive: true });
  await writeFile(join(stage, 'share', 'data', 'a.txt'), 'archived\n');
  await writeFile(join(stage, 'tool'), '#!/bin/sh\n', { mode: 0o750 });
  const tar = ['--owner=1234', '--group=5678', '--numeric-owner', '-C', stage];
  await run('tar', ['-czf', join(app, 'bundle.tar.gz'), ...tar, 'share', 'tool']);
  await run('tar', ['-cf', join(app, 'plain.tar'), ...tar, 'tool']);
  await writeFile(join(app, 'fake.tar.bz2'), 'BZh hello, not bzip2\n');
  for (const [name, hex] of [
    ['empty.bz2', '425a683917724538509000000000'],
    ['empty.xz', 'fd377a585a000004e6d6b446000000001cdf44211fb6f37d010000000004595a'],
    ['empty.zst', '28b52ffd2000010000'],
  ] as const)
    await writeFile(join(app, name), Buffer.from(hex, 'hex'));
}

describe('extender: Dockerfile features against docker build', () => {
  it('-kind run gives the same file tree as docker build of the same Dockerfile and context', async () => {
    const w = await workspace(e, {
      name: 'features',
      kind: 'run',
      base: e.runImage,
      dockerfile: DOCKERFILE,
      app: appFiles,
    });
    const r = await w.extend();
    assert.equal(r.code, 0, showRun(r));
    const runDir = join(w.layers, 'extended', 'run');
    const [digest] = await readdir(runDir);
    const ext = await layout.image(join(runDir, digest as string));
    assert.equal(ext.config.config.User, 'appuser');
    // the extended run image as the exporter assembles it: the run image's layers, then the new ones
    const n = e.runImage.image.layers.length;
    const ours = await publish(
      registry.host,
      'extended:features',
      buildImage({
        config: ext.config,
        layers: [...e.runImage.image.layers, ...ext.layers.slice(n)],
        mediaTypes: familyOf(ext.manifest.mediaType),
      }),
      { dockerd },
    );

    const ctx = join(e.dir, 'docker-ctx');
    await cp(w.app, ctx, { recursive: true });
    assert.doesNotMatch(CLASSIC, /<</);
    await writeFile(join(ctx, 'Dockerfile'), CLASSIC);
    await docker([
      'build',
      '-q',
      '--network',
      'none',
      '-t',
      'docker-built:features',
      '--build-arg',
      `base_image=${e.runImage.name}`,
      '--build-arg',
      'user_id=1002',
      '--build-arg',
      'group_id=1000',
      ctx,
    ]);
    const mine = await exportListing(docker, ours.name);
    const theirs = await exportListing(docker, 'docker-built:features');
    for (const want of [
      'file 100644 0:0 5 opt/ctx/logs/keep.log',
      'file 100755 0:0 10 opt/ctx/src/lib/main.sh',
      'file 100644 1234:5678 9 opt/bundle/share/data/a.txt',
      'file 100750 1234:5678 10 opt/plain/tool',
      'file 100644 0:0 21 opt/packed/fake.tar.bz2',
      'file 100644 0:0 14 opt/packed/empty.bz2',
      'file 100644 0:0 32 opt/packed/empty.xz',
      'file 100644 0:0 9 opt/packed/empty.zst',
      'file 100644 0:0 9 opt/feat/script.txt',
      'file 100644 0:0 22 opt/feat/copied.txt',
      'directory 40751 0:0 0 opt/feat',
      'symlink 120777 0:0 0 opt/feat/link -> here.txt',
      'directory 40755 1003:1000 0 home/appuser',
      'file 100644 0:0 6 opt/ctx/px.bin',
      'file 100644 0:0 6 opt/ctx/py.bin',
      'file 100644 0:0 5 opt/ctx/src/ore.md',
      'directory 40755 0:0 0 opt/ctx/cache',
    ])
      assert.ok(mine.includes(want), `${want} in\n${mine.filter((l) => /opt|home/.test(l)).join('\n')}`);
    for (const gone of [
      'opt/ctx/token.secret',
      'opt/ctx/logs/drop.log',
      'opt/ctx/Dockerfile',
      'opt/ctx/qx.bin',
      'opt/ctx/!x.bin',
      'opt/ctx/zy.bin',
      'opt/ctx/cache/sub',
      'opt/ctx/src/lib/more.txt',
      'usr/share/zoneinfo/Asia',
    ])
      assert.ok(!mine.some((l) => l.split(' ')[4] === gone), `${gone} is not in the image`);
    assertSameListing(mine, theirs, 'the extended image');
    const out = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      ours.name,
      'sh',
      '-c',
      'id -un; echo $HOME; cat copied.txt',
    ]);
    assert.equal(out, 'appuser\n/home/appuser\ncopied from a heredoc\n');
  });
});
