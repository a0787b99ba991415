import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeSystem, parseSystem } from './system.ts';
import { parseToml } from './toml.ts';

const ref = (id: string, optional = false) => ({ id, version: '1', optional });

describe('system.toml (platform-0.15.md "system.toml")', () => {
  it('parses pre and post buildpacks; optional defaults to false', () => {
    const t = parseToml(
      '[[system.pre.buildpacks]]\nid = "a"\nversion = "1"\n[[system.post.buildpacks]]\nid = "z"\nversion = "1"\noptional = true\n',
      'system.toml',
    );
    assert.deepEqual(parseSystem(t, 'system.toml'), { pre: [ref('a')], post: [ref('z', true)] });
  });

  it('an empty file has no system buildpacks', () => {
    assert.deepEqual(parseSystem(parseToml('', 'system.toml'), 'system.toml'), { pre: [], post: [] });
  });

  it('requires id and version ("Both `id` and `version` MUST be present")', () => {
    const t = parseToml('[[system.post.buildpacks]]\nid = "z"\n', 'system.toml');
    assert.throws(() => parseSystem(t, 'system.toml'), /system\.post\.buildpacks\[0\]\.version/);
  });

  it('puts pre first and post last in every group, skipping IDs the group has', () => {
    const order = [{ group: [ref('b'), ref('c')] }, { group: [ref('a'), ref('d')] }];
    const merged = mergeSystem(order, { pre: [ref('a')], post: [ref('z', true), ref('c')] });
    assert.deepEqual(
      merged.map((g) => g.group.map((r) => `${r.id}${r.optional ? '?' : ''}`)),
      [
        ['a', 'b', 'c', 'z?'],
        ['a', 'd', 'z?', 'c'],
      ],
    );
  });
});
