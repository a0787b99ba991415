import { emptyImage } from '../../../src/image/assemble.ts';
import { mutate } from '../../../src/image/mutate.ts';
import type { Image } from '../../../src/image/types.ts';
import { dir, entriesLayer, file } from './layers.ts';
import { debianRootfs } from './rootfs.ts';

/**
 * Build and run base images on the Debian rootfs, labelled as platform.md "Build Image" and "Run Image"
 * ask (`io.buildpacks.base.*`, the deprecated `io.buildpacks.stack.id` for older Platform APIs), each
 * with its non-root user in a layer of its own, the way stack authors make them.
 */

/** The stack id (deprecated by Platform 0.12 but still read by older platforms and kpack). */
export const STACK_ID = 'io.cnb-lifecycle-ts.stacks.bookworm';
/** The build user: `cnb` 1000:1000, as `pack builder create` expects (CNB_USER_ID/CNB_GROUP_ID). */
export const BUILD_USER = { name: 'cnb', uid: 1000, gid: 1000 } as const;
/** The run image user (a different uid, as Paketo's run images have). */
export const RUN_USER = { name: 'cnb', uid: 1002, gid: 1000 } as const;

/** The `io.buildpacks.base.*` labels of a Debian 12 base, plus the stack id. */
export function baseLabels(description: string): Record<string, string> {
  return {
    'io.buildpacks.base.distro.name': 'debian',
    'io.buildpacks.base.distro.version': '12',
    'io.buildpacks.base.maintainer': 'cnb-lifecycle-ts tests',
    'io.buildpacks.base.homepage': 'https://example.invalid/cnb-lifecycle-ts',
    'io.buildpacks.base.released': '2026-01-01T00:00:00Z',
    'io.buildpacks.base.description': description,
    'io.buildpacks.base.metadata': '{}',
    'io.buildpacks.stack.id': STACK_ID,
  };
}

async function userLayer(user: { name: string; uid: number; gid: number }) {
  const { passwd, group } = await debianRootfs();
  const home = `/home/${user.name}`;
  return entriesLayer([
    dir('/etc'),
    file('/etc/group', `${group.trimEnd()}\n${user.name}:x:${user.gid}:\n`),
    file('/etc/passwd', `${passwd.trimEnd()}\n${user.name}:x:${user.uid}:${user.gid}::${home}:/bin/bash\n`),
    dir('/home'),
    dir(home, { uid: user.uid, gid: user.gid }),
  ]);
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The build image: Debian + the build user, `CNB_USER_ID`/`CNB_GROUP_ID`, `USER cnb`. */
export async function buildBaseImage(): Promise<Image> {
  const { layer } = await debianRootfs();
  return mutate(emptyImage(), {
    addLayers: [
      { layer, history: { created_by: 'debootstrap --variant=minbase bookworm' } },
      { layer: await userLayer(BUILD_USER), history: { created_by: 'build user' } },
    ],
    config: {
      env: {
        PATH,
        CNB_USER_ID: String(BUILD_USER.uid),
        CNB_GROUP_ID: String(BUILD_USER.gid),
        CNB_STACK_ID: STACK_ID,
      },
      user: `${BUILD_USER.uid}:${BUILD_USER.gid}`,
      labels: baseLabels('build image for the platform tests'),
    },
  });
}

/**
 * A run image: Debian + the run user + a marker file `/etc/run-image` holding `flavor` (so two run images
 * differ, for rebase), `USER cnb`.
 */
export async function runBaseImage(flavor: string): Promise<Image> {
  const { layer } = await debianRootfs();
  const marker = await entriesLayer([dir('/etc'), file('/etc/run-image', `${flavor}\n`)]);
  return mutate(emptyImage(), {
    addLayers: [
      { layer, history: { created_by: 'debootstrap --variant=minbase bookworm' } },
      { layer: await userLayer(RUN_USER), history: { created_by: 'run user' } },
      { layer: marker, history: { created_by: `run image ${flavor}` } },
    ],
    config: {
      env: { PATH },
      user: `${RUN_USER.uid}:${RUN_USER.gid}`,
      labels: {
        ...baseLabels(`run image ${flavor} for the platform tests`),
        'io.buildpacks.base.id': `run-${flavor}`,
      },
    },
  });
}
