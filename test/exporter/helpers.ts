import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type BuildMetadata,
  lifecycleMetadataToToml,
  parseLifecycleMetadataLabel,
  writeAnalyzed,
  writeBuildMetadata,
} from '../../src/files/index.ts';
import { type Image, remote } from '../../src/image/index.ts';
import { baseImage } from '../layout/fixtures.ts';
import { lifecycleSnapshot, type PhaseRun, removeLifecycleSnapshot, runPhase } from '../support/lifecycle.ts';

/**
 * Exporter fixtures: a busybox run image pushed to the test registry, and a hand-made `<layers>` dir
 * (group.toml, analyzed.toml, config/metadata.toml, a buildpack launch layer whose `bin/hello` is a
 * busybox `sh` script, store.toml) plus an app dir — everything the exporter reads, no build needed.
 */

export const BP = { id: 'example/hello', version: '0.0.1', api: '0.10' } as const;

/** The metadata.toml of the fixture: `web` (default) and `worker`, direct processes. */
export const METADATA: BuildMetadata = {
  buildpacks: [{ id: BP.id, version: BP.version, api: BP.api }],
  extensions: [],
  labels: [{ key: 'org.example.greeting', value: 'hi' }],
  processes: [
    { type: 'web', command: ['hello'], args: ['world'], direct: true, buildpackId: BP.id },
    { type: 'worker', command: ['cat', 'message.txt'], args: [], direct: true, buildpackId: BP.id },
  ],
  slices: [],
  buildpackDefaultProcessType: 'web',
};

export interface Fixture {
  readonly root: string;
  readonly layers: string;
  readonly app: string;
  /** Layer dir of the buildpack (`<layers>/example_hello`). */
  readonly bpDir: string;
  write(rel: string, content: string, mode?: number): Promise<void>;
  read(rel: string): Promise<string>;
  /** Writes analyzed.toml for `runRef` and an optional previous image (its metadata from its label). */
  analyzed(runRef: string, runImage: string, previous?: { ref: string; label?: string }): Promise<void>;
  /** Common exporter flags (paths inside the fixture). */
  flags(): string[];
  cleanup(): Promise<void>;
}

export async function fixture(meta: BuildMetadata = METADATA): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'exporter-test-'));
  const layers = join(root, 'layers');
  const app = join(root, 'workspace');
  const bpDir = join(layers, 'example_hello');
  const write = async (rel: string, content: string, mode = 0o644) => {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
    await chmod(p, mode);
  };
  await write(
    'layers/group.toml',
    `[[group]]\n  id = "${BP.id}"\n  version = "${BP.version}"\n  api = "${BP.api}"\n`,
  );
  await write(
    'layers/example_hello/hello.toml',
    '[types]\n  launch = true\n\n[metadata]\n  version = "1.0"\n',
  );
  await write('layers/example_hello/hello/bin/hello', '#!/bin/sh\necho "$GREETING $1 from $(pwd)"\n', 0o755);
  await write('layers/example_hello/hello/env/GREETING.default', 'Hi');
  await write('layers/example_hello/store.toml', '[metadata]\n  runs = 1\n');
  await writeBuildMetadata(join(layers, 'config', 'metadata.toml'), meta);
  await write('workspace/message.txt', 'message from the app\n');
  await write('workspace/src/main.txt', 'main\n');
  await write('run.toml', '');
  await copyFile(join(await lifecycleSnapshot(), 'launcher'), join(root, 'launcher'));
  return {
    root,
    layers,
    app,
    bpDir,
    write,
    read: (rel) => readFile(join(root, rel), 'utf8'),
    async analyzed(runRef, runImage, previous) {
      const metadata =
        previous?.label === undefined
          ? undefined
          : lifecycleMetadataToToml(parseLifecycleMetadataLabel(previous.label, previous.ref));
      await writeAnalyzed(join(layers, 'analyzed.toml'), {
        ...(previous ? { previousImage: { reference: previous.ref } } : {}),
        runImage: { reference: runRef, image: runImage },
        ...(metadata ? { metadata } : {}),
      });
    },
    flags: () => [
      '-layers',
      layers,
      '-app',
      app,
      '-launcher',
      join(root, 'launcher'),
      '-launcher-sbom',
      join(root, 'no-sboms'),
      '-run',
      join(root, 'run.toml'),
    ],
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Pushes the busybox base image as `<host>/run:latest`; returns its digest reference. */
export async function pushRunImage(host: string, name = 'run'): Promise<{ ref: string; image: Image }> {
  const image = await baseImage(name);
  const w = await remote.write(`${host}/${name}:latest`, image);
  return { ref: `${host}/${name}@${w.digest}`, image };
}

/** Removes the private copy of dist (call from `after`). */
export const cleanupDist = removeLifecycleSnapshot;

/** Runs the built exporter (from a private copy of dist/lifecycle) at Platform API 0.12. */
export async function exporter(args: readonly string[], env: Record<string, string> = {}): Promise<PhaseRun> {
  const dir = await lifecycleSnapshot();
  return runPhase('exporter', args, { CNB_PLATFORM_API: '0.12', ...env }, { dir, timeoutMs: 300_000 });
}

/** Fails with the phase's output when it did not exit 0. */
export function ok(r: PhaseRun): PhaseRun {
  if (r.code !== 0) throw new Error(`exporter exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
