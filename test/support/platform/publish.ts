import { remote } from '../../../src/image/index.ts';
import type { Image } from '../../../src/image/types.ts';
import type { Dockerd } from '../docker.ts';

/**
 * Getting images where platforms find them: pushed to the loopback registry (what kpack, Tekton and
 * Shipwright pull, and what the lifecycle reads), and pulled from there into the test engine (what pack
 * and `docker run` use). Docker treats 127.0.0.0/8 registries as insecure, so no daemon setup is needed.
 */

/** A pushed image: `name` as given (tag), `ref` pinned by digest. */
export interface Published {
  readonly name: string;
  readonly ref: string;
  readonly digest: string;
  readonly image: Image;
}

/**
 * Pushes `image` as `<host>/<repo>:<tag>` (credentials from `env`, e.g. CNB_REGISTRY_AUTH), then, when
 * `dockerd` is given, `docker pull`s it by tag (the engine must be logged in to an auth registry).
 */
export async function publish(
  host: string,
  repoTag: string,
  image: Image,
  o: { env?: Readonly<Record<string, string>>; dockerd?: Dockerd } = {},
): Promise<Published> {
  const name = `${host}/${repoTag}`;
  const w = await remote.write(name, image, o.env ? { env: o.env } : {});
  if (o.dockerd) await o.dockerd.docker(['pull', '-q', name]);
  return { name, ref: `${name.slice(0, name.lastIndexOf(':'))}@${w.digest}`, digest: w.digest, image };
}
