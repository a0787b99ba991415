// What the per-version creator tests share: one registry with a run image, workspaces removed at the end.
import { after, before } from 'node:test';
import { cleanupLifecycle, pushRunImage, type Workspace, workspace } from '../e2e/helpers.ts';
import { cleanupFixtures } from '../layout/fixtures.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';

export interface CreatorWorld {
  /** The registry's `host:port`. */
  readonly host: () => string;
  /** The run image's tag reference. */
  readonly runImage: () => string;
  /** A fresh workspace, removed after the suite. */
  readonly space: (prefix: string) => Promise<Workspace>;
}

/** Registers before/after hooks in the calling suite: a registry, `<host>/apis/run:latest`, cleanup. */
export function creatorWorld(): CreatorWorld {
  let reg: RegistryHandle | undefined;
  let run = '';
  const spaces: Workspace[] = [];
  before(async () => {
    reg = await startRegistry();
    run = (await pushRunImage(reg.host, 'apis/run')).name;
  });
  after(async () => {
    await Promise.all([reg?.stop(), ...spaces.map((w) => w.cleanup())]);
    await cleanupFixtures();
    await cleanupLifecycle();
  });
  return {
    host: () => reg!.host,
    runImage: () => run,
    space: async (prefix) => {
      const ws = await workspace(prefix);
      spaces.push(ws);
      return ws;
    },
  };
}
