import assert from 'node:assert/strict';
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { writeLayer } from '../layer/index.ts';
import { comparePaths, diffEntries, diffTrees, ignoredPaths, scanTree } from './snapshot.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'extend-snap-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function tarList(root: string, entries: AsyncIterable<import('../layer/index.ts').LayerEntry>) {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  const digests = await writeLayer(entries, sink, { compression: 'none' });
  const tar = Buffer.concat(chunks);
  const list: string[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      list.push(
        `${h.type} ${h.name}${h.linkname ? ` -> ${h.linkname}` : ''} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid}`,
      );
      s.resume();
      s.on('end', next);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tar);
  await done;
  void root;
  return { list, digests, tar };
}

describe('snapshots', () => {
  it('writes changed and added paths with parents, deletions as whiteouts, hard links kept', async () => {
    const root = join(dir, 'a');
    await mkdir(join(root, 'etc', 'deep'), { recursive: true });
    await mkdir(join(root, 'gone', 'sub'), { recursive: true });
    await mkdir(join(root, 'ignored'), { recursive: true });
    await writeFile(join(root, 'etc', 'keep'), 'k');
    await writeFile(join(root, 'etc', 'deep', 'edit'), '1');
    await writeFile(join(root, 'etc', 'remove-me'), 'r');
    await writeFile(join(root, 'gone', 'sub', 'f'), 'f');
    const ignore = ['/ignored'];
    const t0 = await scanTree(root, ignore);

    await writeFile(join(root, 'etc', 'deep', 'edit'), '22');
    await rm(join(root, 'etc', 'remove-me'));
    await rm(join(root, 'gone'), { recursive: true });
    await mkdir(join(root, 'opt', 'new'), { recursive: true });
    await writeFile(join(root, 'opt', 'new', 'one'), 'x');
    await link(join(root, 'opt', 'new', 'one'), join(root, 'opt', 'new', 'two'));
    await symlink('/etc/keep', join(root, 'opt', 'ln'));
    await chmod(join(root, 'etc', 'keep'), 0o600);
    await writeFile(join(root, 'ignored', 'x'), 'ignored');
    const t1 = await scanTree(root, ignore);
    const diff = diffTrees(t0, t1);
    assert.deepEqual(diff.deleted.sort(), ['/etc/remove-me', '/gone']);

    const { list, digests } = await tarList(root, diffEntries(root, t1, diff));
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    assert.deepEqual(
      list,
      [
        `directory etc 755 ${uid}:${gid}`,
        `file etc/.wh.remove-me 0 0:0`,
        `directory etc/deep 755 ${uid}:${gid}`,
        `file etc/deep/edit 644 ${uid}:${gid}`,
        `file etc/keep 600 ${uid}:${gid}`,
        `directory opt 755 ${uid}:${gid}`,
        `symlink opt/ln -> /etc/keep 777 ${uid}:${gid}`,
        `directory opt/new 755 ${uid}:${gid}`,
        `file opt/new/one 644 ${uid}:${gid}`,
        `link opt/new/two -> opt/new/one 644 ${uid}:${gid}`,
        `file .wh.gone 0 0:0`,
      ].sort((a, b) => comparePaths(`/${a.split(' ')[1]}`, `/${b.split(' ')[1]}`)),
    );
    // the same tree gives the same bytes
    const again = await tarList(root, diffEntries(root, t1, diff));
    assert.equal(again.digests.diffID, digests.diffID);
  });

  it('sees nothing when nothing changed', async () => {
    const root = join(dir, 'b');
    await mkdir(join(root, 'x'), { recursive: true });
    await writeFile(join(root, 'x', 'f'), 'f');
    const diff = diffTrees(await scanTree(root, []), await scanTree(root, []));
    assert.deepEqual(diff, { changed: [], deleted: [] });
  });

  it('ignores mount points from mountinfo, /var/run and the given directories', async () => {
    const mi = join(dir, 'mountinfo');
    await writeFile(
      mi,
      [
        '22 1 0:21 / / rw - overlay overlay rw',
        '23 22 0:22 / /proc rw - proc proc rw',
        '24 22 8:1 /x /etc/hosts rw - ext4 /dev/sda1 rw',
        '25 22 8:1 /y /with\\040space rw - ext4 /dev/sda1 rw',
      ].join('\n'),
    );
    assert.deepEqual(await ignoredPaths(['/workspace', '/layers', ''], mi), [
      '/etc/hosts',
      '/layers',
      '/proc',
      '/var/run',
      '/with space',
      '/workspace',
    ]);
  });
});
