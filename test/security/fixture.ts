import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type PhaseRun, runPhase } from '../support/lifecycle.ts';

const run = promisify(execFile);

/**
 * A platform-like tree for the privilege tests, started as root the way a platform does (D-11):
 * `<layers>` owned by the build user, two test buildpacks `sec/one` and `sec/two` (API 0.12, CycloneDX
 * SBOMs) whose bin/detect and bin/build record their env in `<app>/out/` and then source a hook the test
 * wrote: `<app>/hooks/<one|two>.<detect|build>.sh` (with the phase's `$1 $2 $3`).
 */
export const BUILD_USER = { uid: 65534, gid: 65534 } as const;
export const USER_ENV = { CNB_USER_ID: '65534', CNB_GROUP_ID: '65534' } as const;

const BIN = (phase: string, name: string) => `#!/bin/sh
env | LC_ALL=C sort >"$PWD/out/${name}.${phase}.env"
id -u >"$PWD/out/${name}.${phase}.uid"
if [ -f "$PWD/hooks/${name}.${phase}.sh" ]; then . "$PWD/hooks/${name}.${phase}.sh"; fi
exit 0
`;

export interface SecWorkspace {
  readonly root: string;
  readonly app: string;
  readonly layers: string;
  readonly platform: string;
  readonly buildpacks: string;
  readonly order: string;
  /** Writes `<app>/hooks/<name>.<phase>.sh`. */
  hook(name: 'one' | 'two', phase: 'detect' | 'build', script: string): Promise<void>;
  /** The env a buildpack recorded. */
  env(name: 'one' | 'two', phase: 'detect' | 'build'): Promise<Record<string, string>>;
  /** Runs a built phase with the tree's dirs, Platform API 0.12 and the build user. */
  phase(
    name: 'detector' | 'builder',
    env?: Record<string, string | undefined>,
    args?: readonly string[],
  ): Promise<PhaseRun>;
  cleanup(): Promise<void>;
}

/** group.toml / order.toml content for `sec/one` (and `sec/two` when `both`). */
function groupToml(both: boolean): string {
  const el = (n: string) => `[[group]]\n  id = "sec/${n}"\n  version = "0.0.1"\n  api = "0.12"\n`;
  return both ? `${el('one')}\n${el('two')}` : el('one');
}

export async function secWorkspace(o: { both?: boolean } = {}): Promise<SecWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'priv-ws-'));
  await chmod(root, 0o755);
  const at = (rel: string) => join(root, rel);
  const write = async (rel: string, content: string, mode = 0o644) => {
    await mkdir(dirname(at(rel)), { recursive: true });
    await writeFile(at(rel), content);
    await chmod(at(rel), mode);
  };
  for (const n of ['one', 'two']) {
    const bp = `buildpacks/sec_${n}/0.0.1`;
    await write(
      `${bp}/buildpack.toml`,
      `api = "0.12"\n[buildpack]\nid = "sec/${n}"\nversion = "0.0.1"\nsbom-formats = ["application/vnd.cyclonedx+json"]\n`,
    );
    await write(`${bp}/bin/detect`, BIN('detect', n), 0o755);
    await write(`${bp}/bin/build`, BIN('build', n), 0o755);
  }
  const group = groupToml(o.both === true);
  await write('order.toml', `[[order]]\n${group.replaceAll('[[group]]', '[[order.group]]')}`);
  await write('layers/group.toml', group);
  await write('layers/plan.toml', '');
  for (const d of ['workspace/out', 'workspace/hooks', 'platform']) await mkdir(at(d), { recursive: true });
  await chmod(at('workspace'), 0o777);
  await chmod(at('workspace/out'), 0o777);
  // A platform gives the build user its <layers> (pack and kpack chown it before the build).
  await run('chown', ['-R', `${BUILD_USER.uid}:${BUILD_USER.gid}`, at('layers')]);
  const ws: SecWorkspace = {
    root,
    app: at('workspace'),
    layers: at('layers'),
    platform: at('platform'),
    buildpacks: at('buildpacks'),
    order: at('order.toml'),
    hook: (name, phase, script) => write(`workspace/hooks/${name}.${phase}.sh`, script),
    async env(name, phase) {
      const out: Record<string, string> = {};
      for (const line of (await readFile(at(`workspace/out/${name}.${phase}.env`), 'utf8')).split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
      }
      return out;
    },
    phase: (name, env = {}, args = []) =>
      runPhase(
        name,
        [
          '-app',
          ws.app,
          '-layers',
          ws.layers,
          '-platform',
          ws.platform,
          '-buildpacks',
          ws.buildpacks,
          ...(name === 'detector' ? ['-order', ws.order] : []),
          ...args,
        ],
        { CNB_PLATFORM_API: '0.12', ...USER_ENV, ...env },
      ),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  return ws;
}

/** Output of a phase run, for assertion messages. */
export function show(r: PhaseRun): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
