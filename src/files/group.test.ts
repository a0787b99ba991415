// group.toml (platform.md "group.toml"; docs/reference-behaviour.md §0.10).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { readGroup, writeGroup } from './group.ts';

describe('group.toml', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'group-test-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('round-trips; optional/extension are never written', async () => {
    const file = join(dir, 'group.toml');
    await writeGroup(file, {
      group: [
        { id: 'a/b', version: '1.0.0', api: '0.10', homepage: 'https://x', optional: true },
        { id: 'c', version: '2', api: '0.7' },
      ],
      groupExtensions: [{ id: 'e', version: '1', api: '0.10', extension: true }],
    });
    const text = await readFile(file, 'utf8');
    assert.equal(
      text,
      '[[group]]\nid = "a/b"\nversion = "1.0.0"\napi = "0.10"\nhomepage = "https://x"\n\n[[group]]\nid = "c"\nversion = "2"\napi = "0.7"\n\n[[group-extensions]]\nid = "e"\nversion = "1"\napi = "0.10"\n',
    );
    const g = await readGroup(file);
    assert.deepEqual(g.group[1], { id: 'c', version: '2', api: '0.7' });
    // On read, group-extensions are marked extension + optional.
    assert.deepEqual(g.groupExtensions, [
      { id: 'e', version: '1', api: '0.10', extension: true, optional: true },
    ]);
  });

  it('an empty file is an empty group; a missing api reads as ""', async () => {
    await writeFile(join(dir, 'empty.toml'), '');
    assert.deepEqual(await readGroup(join(dir, 'empty.toml')), { group: [], groupExtensions: [] });
    await writeFile(join(dir, 'noapi.toml'), '[[group]]\nid = "a"\nversion = "1"\n');
    assert.equal((await readGroup(join(dir, 'noapi.toml'))).group[0]?.api, '');
  });

  it('errors name the file', async () => {
    await assert.rejects(
      () => readGroup(join(dir, 'missing.toml')),
      /failed to read group file .*missing\.toml: no such file/,
    );
    await writeFile(join(dir, 'bad.toml'), 'a\n');
    await assert.rejects(
      () => readGroup(join(dir, 'bad.toml')),
      (e) => isLifecycleError(e) && /bad\.toml:1:\d+/.test(e.message),
    );
    await writeFile(join(dir, 'noid.toml'), '[[group]]\nversion = "1"\n');
    await assert.rejects(() => readGroup(join(dir, 'noid.toml')), /group\[0\]\.id: is required/);
  });
});
