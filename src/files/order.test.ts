// order.toml (platform.md "order.toml"; buildpack.md "Order").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { hasExtensions, parseOrderFile } from './order.ts';
import { parseToml } from './toml.ts';

const parse = (text: string) => parseOrderFile(parseToml(text, 'order.toml'), 'order.toml');

describe('order.toml', () => {
  it('parses groups; optional defaults to false; exec-env is kept', () => {
    const o = parse(`
[[order]]
[[order.group]]
id = "a"
version = "1"
[[order.group]]
id = "b"
version = "2"
optional = true
exec-env = ["test"]

[[order]]
[[order.group]]
id = "c"
version = "3"
`);
    assert.deepEqual(o.order, [
      {
        group: [
          { id: 'a', version: '1', optional: false },
          { id: 'b', version: '2', optional: true, execEnv: ['test'] },
        ],
      },
      { group: [{ id: 'c', version: '3', optional: false }] },
    ]);
    assert.deepEqual(o.orderExtensions, []);
    assert.equal(hasExtensions(o), false);
  });

  it('parses [[order-extensions]]', () => {
    const o = parse('[[order-extensions]]\n[[order-extensions.group]]\nid = "e"\nversion = "1"\n');
    assert.equal(hasExtensions(o), true);
    assert.deepEqual(o.orderExtensions[0]?.group[0], { id: 'e', version: '1', optional: false });
  });

  it('an empty file is an empty order', () =>
    assert.deepEqual(parse(''), { order: [], orderExtensions: [] }));

  const bad: [string, string, RegExp][] = [
    [
      'missing id',
      '[[order]]\n[[order.group]]\nversion = "1"\n',
      /order\.toml: order\[0\]\.group\[0\]\.id: is required/,
    ],
    [
      'missing version',
      '[[order]]\n[[order.group]]\nid = "a"\n',
      /order\[0\]\.group\[0\]\.version: is required/,
    ],
    ['order not an array of tables', 'order = 1\n', /order: expected an array of tables/],
    [
      'optional not a boolean',
      '[[order]]\n[[order.group]]\nid = "a"\nversion = "1"\noptional = 1\n',
      /optional: expected true or false/,
    ],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name}`, () =>
      assert.throws(
        () => parse(text),
        (e) => isLifecycleError(e) && re.test(e.message),
      ));
  }
});
