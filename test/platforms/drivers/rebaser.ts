import { join } from 'node:path';
import { type ContainerRun, runContainer, succeeded, type World } from '../../support/platform/index.ts';
import type { Pod } from './pod.ts';
import { readReport } from './steps.ts';

/**
 * The rebaser in a container of the lifecycle image, as root with `CNB_REGISTRY_AUTH` (the way pack runs
 * the lifecycle image's phases): `rebaser -run-image <new run image> -report <report> <app image>`.
 * Resolves with the run and the report's new digest.
 */
export async function rebase(
  w: World,
  pod: Pod,
  p: { image: string; runImage: string; platformApi: string; force?: boolean },
): Promise<{ run: ContainerRun; digest: string }> {
  if (!w.lifecycle) throw new Error('the rebaser runs in the lifecycle image (startWorld lifecycleImage)');
  const out = await pod.volume('rebase-report');
  const run = await runContainer(w.dockerd, {
    image: w.lifecycle.name,
    entrypoint: '',
    user: 'root',
    cmd: [
      '/cnb/lifecycle/rebaser',
      ...(p.force ? ['-force'] : []),
      '-run-image',
      p.runImage,
      '-report',
      '/report/report.toml',
      p.image,
    ],
    env: { CNB_PLATFORM_API: p.platformApi, CNB_REGISTRY_AUTH: w.registryAuth },
    binds: [`${out}:/report`],
    securityOpt: ['no-new-privileges=true'],
  });
  succeeded(run, 'rebaser');
  return { run, digest: (await readReport(join(out, 'report.toml'))).digest };
}
