// The plan bin/detect writes (buildpack.md "Build Plan (TOML)"; BUILDPACK-API-VERSIONS.md E;
// docs/reference-behaviour.md §2 "/bin/detect execution contract").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../platform/errors.ts';
import { parseDetectPlan } from './detect-plan.ts';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('parseDetectPlan', () => {
  it('reads provides, requires with metadata, and [[or]] alternatives', () => {
    const text = `
[[provides]]
name = "node"
[[requires]]
name = "node"
[requires.metadata]
version = "20"

[[or]]
[[or.provides]]
name = "npm"
[[or.requires]]
name = "npm"
`;
    assert.deepEqual(plain(parseDetectPlan(text, 'plan.toml', 'bp@1')), {
      provides: [{ name: 'node' }],
      requires: [{ name: 'node', metadata: { version: '20' } }],
      or: [{ provides: [{ name: 'npm' }], requires: [{ name: 'npm' }] }],
    });
  });

  it('an empty file is an empty plan', () => {
    assert.deepEqual(parseDetectPlan('', 'plan.toml', 'bp@1'), { provides: [], requires: [], or: [] });
  });

  const bad: { name: string; text: string; message: RegExp; extension?: boolean }[] = [
    { name: 'invalid TOML names file:line:col', text: '[[provides]\n', message: /^plan\.toml:1:\d+: / },
    {
      name: 'provides without name',
      text: '[[provides]]\nx = 1\n',
      message: /plan\.toml: provides\[0\]\.name: is required/,
    },
    {
      name: 'non-string name',
      text: '[[requires]]\nname = 3\n',
      message: /requires\[0\]\.name: expected a string/,
    },
    {
      name: 'provides not an array of tables',
      text: 'provides = "x"\n',
      message: /provides: expected an array of tables/,
    },
    {
      name: 'top-level requires.version is rejected (every API)',
      text: '[[requires]]\nname = "a"\nversion = "1"\n',
      message:
        /buildpack bp@1 has a "version" key which is not supported\. "metadata\.version" should be used instead/,
    },
    {
      name: 'requires.version inside [[or]] is rejected',
      text: '[[or]]\n[[or.requires]]\nname = "a"\nversion = "1"\n[or.requires.metadata]\nversion = "1"\n',
      message: /"version" key which is not supported.*or\[0\]\.requires\[0\]\.version/,
    },
    {
      name: 'extensions must not require',
      text: '[[requires]]\nname = "a"\n',
      message: /extension bp@1 outputs "requires" which is not allowed/,
      extension: true,
    },
  ];
  for (const c of bad) {
    it(c.name, () => {
      assert.throws(
        () => parseDetectPlan(c.text, 'plan.toml', 'bp@1', c.extension ?? false),
        (e) => isLifecycleError(e) && c.message.test(e.message),
      );
    });
  }
});
