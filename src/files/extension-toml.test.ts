// extension.toml (image-extension.md; BUILDPACK-API-VERSIONS.md C).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExtensionDescriptor } from './extension-toml.ts';
import { parseToml } from './toml.ts';

const FILE = '/cnb/extensions/e/1/extension.toml';
const parse = (text: string) => parseExtensionDescriptor(parseToml(text, FILE), FILE);

describe('extension.toml', () => {
  it('parses [extension] and [[targets]]', () => {
    const d = parse(
      'api = "0.10"\n[extension]\nid = "e"\nversion = "1"\nhomepage = "h"\n[[targets]]\nos = "linux"\n',
    );
    assert.equal(d.api, '0.10');
    assert.equal(d.dir, '/cnb/extensions/e/1');
    assert.deepEqual(d.extension, { id: 'e', version: '1', homepage: 'h', licenses: [] });
    assert.deepEqual(d.targets, [{ os: 'linux', distros: [] }]);
  });
  it('rejects an order and a missing [extension]', () => {
    assert.throws(
      () => parse('[extension]\nid = "e"\nversion = "1"\n[[order]]\n'),
      /must not contain an order/,
    );
    assert.throws(() => parse('api = "0.10"\n'), /the \[extension\] table is required/);
  });
});
