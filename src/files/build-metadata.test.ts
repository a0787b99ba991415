import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type BuildMetadata,
  buildMetadataToToml,
  parseBuildMetadata,
  readBuildMetadata,
  toMetadataModule,
  writeBuildMetadata,
} from './build-metadata.ts';
import { parseToml } from './toml.ts';

const md: BuildMetadata = {
  buildpacks: [{ id: 'a/b', version: '1', api: '0.9', homepage: 'https://h' }],
  extensions: [{ id: 'e', version: '2', api: '0.10' }],
  labels: [{ key: 'k', value: 'v' }],
  processes: [
    { type: 'web', command: ['node', 'x'], args: ['a'], direct: true, buildpackId: 'a/b', workingDir: '/w' },
    { type: 'z', command: ['echo hi'], args: [], direct: false, buildpackId: 'a/b', execEnv: ['test'] },
  ],
  slices: [{ paths: ['a/*'] }],
  buildpackDefaultProcessType: 'web',
};

// platform.md "metadata.toml (TOML)".
describe('metadata.toml', () => {
  it('before Platform API 0.10 the command is a string and its other entries lead the args (platform-0.9.md)', () => {
    const t = buildMetadataToToml(md, { commandArray: false });
    const [web] = t['processes'] as Record<string, unknown>[];
    assert.equal(web?.['command'], 'node');
    assert.deepEqual(web?.['args'], ['x', 'a']);
  });
  it('round-trips and writes the documented keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'metadata-'));
    try {
      const f = join(dir, 'config', 'metadata.toml');
      await writeBuildMetadata(f, md);
      assert.deepEqual(await readBuildMetadata(f), md);
      const text = await readFile(f, 'utf8');
      assert.match(text, /^buildpack-default-process-type = "web"$/m);
      assert.match(text, /^buildpack-id = "a\/b"$/m);
      assert.match(text, /^working-dir = "\/w"$/m);
      assert.match(text, /^exec-env = \[ "test" \]$/m);
      assert.match(text, /^command = \[ "node", "x" \]$/m);
      assert.doesNotMatch(text, /default = /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('reads a legacy string command as a one-element array', () => {
    const t = parseToml(
      '[[processes]]\ntype = "web"\ncommand = "echo hi"\ndirect = false\nbuildpack-id = "x"',
      'm',
    );
    assert.deepEqual(parseBuildMetadata(t, 'm').processes[0]?.command, ['echo hi']);
  });
  it('an empty document has no buildpacks and no processes', () => {
    const m = parseBuildMetadata({}, 'm');
    assert.deepEqual([m.buildpacks, m.processes, m.buildpackDefaultProcessType], [[], [], undefined]);
  });
  it('group elements drop optional and extension', () => {
    assert.deepEqual(
      toMetadataModule({ id: 'e', version: '1', api: '0.9', optional: true, extension: true }),
      {
        id: 'e',
        version: '1',
        api: '0.9',
      },
    );
  });
});
