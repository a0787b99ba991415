import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import {
  type ContainerRun,
  type ContainerSpec,
  runContainer,
  succeeded,
  type World,
} from '../../support/platform/index.ts';

/**
 * What every driver does with its containers: a step that runs one lifecycle phase, steps run in order
 * (each must exit 0, the next does not start otherwise, as a pod's init containers or a task's steps),
 * and the phase's report.toml read back.
 */

/**
 * A container of `image` running `/cnb/lifecycle/<phase>` as a Kubernetes step does: the phase is the
 * `command` (the entrypoint), the flags are the `args`.
 */
export function phaseStep(
  image: string,
  phase: string,
  args: readonly string[],
  o: Partial<Omit<ContainerSpec, 'image' | 'entrypoint' | 'cmd'>> = {},
): ContainerSpec {
  return { ...o, image, entrypoint: `/cnb/lifecycle/${phase}`, cmd: args };
}

/** Runs `steps` in order, stopping at the first that fails; resolves with every outcome. */
export async function runSteps(
  w: World,
  what: string,
  steps: readonly (readonly [string, ContainerSpec])[],
): Promise<ContainerRun[]> {
  const runs: ContainerRun[] = [];
  for (const [name, spec] of steps) {
    const r = await runContainer(w.dockerd, spec);
    runs.push(r);
    succeeded(r, `${what} ${name}`);
  }
  return runs;
}

/** The `[image]` table of a report.toml (platform.md "report.toml"). */
export interface Report {
  readonly tags: readonly string[];
  readonly digest: string;
  readonly manifestSize: number;
}

/** Decodes `[image]` of the report at `path` (TOML, as kpack's completion and Tekton's results do). */
export async function readReport(path: string): Promise<Report> {
  const report = parse(await readFile(path, 'utf8')) as {
    image?: { tags?: string[]; digest?: string; 'manifest-size'?: number };
  };
  const digest = report.image?.digest;
  if (!digest)
    throw new Error(`${path} has no [image] digest; the exporter wrote:\n${JSON.stringify(report)}`);
  return {
    tags: report.image?.tags ?? [],
    digest,
    manifestSize: report.image?.['manifest-size'] ?? 0,
  };
}
