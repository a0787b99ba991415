import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { remote } from '../../src/image/index.ts';
import { runImage } from '../analyzer/helpers.ts';
import { type Dockerd, dockerCli } from '../support/docker.ts';
import type { RegistryHandle } from '../support/registry.ts';

const run = promisify(execFile);

/** What `docker run` gave: exit code and output (a non-zero exit is a result, not an error). */
export interface ContainerRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `docker run --rm <args>` with the exit code (the docker CLI passes the container's on). */
export async function dockerRun(d: Dockerd, args: readonly string[]): Promise<ContainerRun> {
  try {
    const r = await run(dockerCli(), ['run', '--rm', ...args], {
      env: { ...process.env, DOCKER_HOST: d.host },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/**
 * Runs the analyzer in a container of `image` as pack's untrusted flow does (root, `--network host` to
 * reach the loopback registry) against a run image pushed to `registry`; returns the run and the
 * analyzed.toml it wrote.
 */
export async function analyzeInContainer(
  d: Dockerd,
  registry: RegistryHandle,
  image: string,
  work: string,
): Promise<{
  run: ContainerRun;
  analyzed: Record<string, Record<string, unknown>> | undefined;
  runDigest: string;
}> {
  const base = await runImage({ 'io.buildpacks.base.id': 'io.example.run' });
  await remote.write(`${registry.host}/run/base:v1`, base);
  const layers = await mkdtemp(join(work, 'layers-'));
  await chmod(layers, 0o777);
  await mkdir(join(layers, 'home'), { recursive: true });
  const r = await dockerRun(d, [
    '--network',
    'host',
    '-v',
    `${layers}:/layers`,
    '-e',
    'CNB_PLATFORM_API=0.12',
    '-e',
    'HOME=/layers/home',
    image,
    '/cnb/lifecycle/analyzer',
    '-layers',
    '/layers',
    '-run-image',
    `${registry.host}/run/base:v1`,
    `${registry.host}/app/new:latest`,
  ]);
  const text = await readFile(join(layers, 'analyzed.toml'), 'utf8').catch(() => undefined);
  const analyzed =
    text === undefined
      ? undefined
      : (JSON.parse(JSON.stringify(parse(text))) as Record<string, Record<string, unknown>>);
  await rm(layers, { recursive: true, force: true });
  return { run: r, analyzed, runDigest: base.digest };
}
