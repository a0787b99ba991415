/**
 * The Docker daemon as an image source and sink (Engine API over DOCKER_HOST): `image(ref)` reads
 * (inspect, layers lazily via one `docker save`), `save(ref)` reads exact bytes, `write(ref, image)`
 * loads (streamed, skipping layers the daemon has), `inspect`/`tag` for the phases.
 */
export {
  DEFAULT_DOCKER_HOST,
  DockerEngine,
  type ImageInspect,
} from './engine.ts';
export {
  configFromInspect,
  type DaemonImage,
  type DaemonLayer,
  type DaemonOptions,
  engineFor,
  image,
  inspect,
  save,
} from './read.ts';
export { tag } from './tag.ts';
export { chainIDs, type DaemonWriteOptions, type DaemonWriteResult, write } from './write.ts';
