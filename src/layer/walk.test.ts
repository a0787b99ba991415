import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DirSource, type LayerEntry, parentsFromDisk, walkDir } from './walk.ts';

async function collect(src: DirSource): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for await (const e of walkDir(src)) out.push(e);
  return out;
}

describe('walkDir', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'layer-walk-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('walks pre-order, byte-wise sorted per directory, without following symlinks', async () => {
    const dir = join(tmp, 'order');
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'real'));
    for (const f of ['a-b', 'a/z', 'B', 'é', 'z', 'real/inside']) writeFileSync(join(dir, f), f);
    symlinkSync('real', join(dir, 'link-to-dir'));
    const names = (await collect({ dir, prefix: '/x', uid: 0, gid: 0 })).map((e) => e.name);
    assert.deepEqual(names, [
      '/x',
      '/x/B',
      '/x/a',
      '/x/a/z',
      '/x/a-b',
      '/x/link-to-dir',
      '/x/real',
      '/x/real/inside',
      '/x/z',
      '/x/é',
    ]);
  });

  it('describes parent directories from disk like the reference (real mode and owner, named by prefix)', async () => {
    const dir = join(tmp, 'p', 'lib');
    mkdirSync(dir, { recursive: true });
    const ps = await parentsFromDisk(dir, '/layers/bp/lib');
    assert.deepEqual(
      ps.map((e) => e.name),
      ['/layers', '/layers/bp'],
    );
    const st = statSync(join(tmp, 'p'));
    assert.deepEqual(ps[1], {
      name: '/layers/bp',
      type: 'dir',
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    });
    const all = await parentsFromDisk(dir);
    assert.equal(all.at(-1)?.name, join(tmp, 'p'));
    assert.equal(all[0]?.name, `/${tmp.split('/')[1]}`);
  });

  it('makes later paths of a multiply-linked file hard-link entries only when asked', async () => {
    const dir = join(tmp, 'hl');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a'), 'same inode\n');
    linkSync(join(dir, 'a'), join(dir, 'b'));
    const linked = await collect({ dir, prefix: 'hl', uid: 5, gid: 6, hardLinks: true });
    assert.deepEqual(
      linked.map((e) => [e.name, e.type, e.linkname, e.size]),
      [
        ['hl', 'dir', undefined, undefined],
        ['hl/a', 'file', undefined, 11],
        ['hl/b', 'link', 'hl/a', undefined],
      ],
    );
    const plain = await collect({ dir, prefix: 'hl', uid: 5, gid: 6 });
    assert.deepEqual(
      plain.map((e) => [e.type, e.size]),
      [
        ['dir', undefined],
        ['file', 11],
        ['file', 11],
      ],
    );
  });

  it('skips sockets and keeps FIFOs, like the reference', async () => {
    const dir = join(tmp, 'special');
    mkdirSync(dir);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    try {
      assert.equal(spawnSync('mkfifo', ['-m', '0640', join(dir, 'pipe')]).status, 0);
      const entries = await collect({ dir, prefix: 's', uid: 0, gid: 0 });
      assert.deepEqual(
        entries.map((e) => [e.name, e.type, e.mode]),
        [
          ['s', 'dir', statSync(dir).mode & 0o7777],
          ['s/pipe', 'fifo', 0o640],
        ],
      );
    } finally {
      server.close();
    }
  });

  it('names entries relative to the directory with an empty prefix, and puts parents first', async () => {
    const dir = join(tmp, 'rel');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'f'), '');
    const parents: LayerEntry[] = [{ name: 'top', type: 'dir', mode: 0o755, uid: 0, gid: 0 }];
    const entries = await collect({ dir, prefix: '', uid: 0, gid: 0, parents });
    assert.deepEqual(
      entries.map((e) => e.name),
      ['top', 'sub', 'sub/f'],
    );
  });

  it('fails with a LifecycleError naming the path', async () => {
    await assert.rejects(collect({ dir: join(tmp, 'missing'), prefix: '/m', uid: 0, gid: 0 }), {
      code: 'ERR_LAYER_WALK',
      message: /failed to read '.*\/missing' for a layer/,
    });
  });
});
