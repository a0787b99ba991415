import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLifecycleError } from '../../platform/index.ts';
import { sha256Digest } from '../json.ts';
import { DockerEngine, encodeName } from './engine.ts';
import { configFromInspect } from './read.ts';
import { chainIDs } from './write.ts';

describe('docker host', () => {
  it('accepts unix and tcp hosts and rejects others with advice', () => {
    assert.equal(new DockerEngine('unix:///tmp/x.sock').host, 'unix:///tmp/x.sock');
    assert.equal(new DockerEngine('tcp://127.0.0.1:2375').host, 'tcp://127.0.0.1:2375');
    assert.equal(new DockerEngine('tcp://[::1]').host, 'tcp://[::1]');
    assert.throws(
      () => new DockerEngine('ssh://user@host'),
      (e: unknown) => isLifecycleError(e) && e.code === 'ERR_DOCKER_HOST' && /unix:\/\//.test(e.message),
    );
  });

  it('encodes names for paths, keeping slashes', () => {
    assert.equal(encodeName('localhost:5000/a/b:c'), 'localhost%3A5000/a/b%3Ac');
  });
});

describe('chainIDs', () => {
  it('chains diffIDs like the daemon layer store', () => {
    const a = sha256Digest('a');
    const b = sha256Digest('b');
    const c = sha256Digest('c');
    const ab = sha256Digest(`${a} ${b}`);
    assert.deepEqual(chainIDs([a, b, c]), [a, ab, sha256Digest(`${ab} ${c}`)]);
    assert.deepEqual(chainIDs([]), []);
  });
});

describe('configFromInspect', () => {
  it('keeps platform and non-empty container config, drops empty members', () => {
    const cfg = configFromInspect({
      Id: 'sha256:x',
      Os: 'linux',
      Architecture: 'arm64',
      Variant: 'v8',
      Created: '1980-01-01T00:00:01Z',
      Config: {
        Env: ['A=1'],
        Cmd: null,
        Hostname: '',
        Tty: false,
        Labels: {},
        Volumes: null,
        WorkingDir: '/w',
      },
    });
    assert.deepEqual(cfg, {
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      created: '1980-01-01T00:00:01Z',
      config: { Env: ['A=1'], WorkingDir: '/w' },
    });
  });
});
