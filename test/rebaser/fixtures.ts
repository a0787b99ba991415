import { LIFECYCLE_METADATA_LABEL } from '../../src/files/index.ts';
import { type Image, mutate, remote } from '../../src/image/index.ts';
import { baseImage, layerOf } from '../layout/fixtures.ts';

/** Target labels of a run image (platform.md "Target Data"). */
export const distro = (name: string, version: string) => ({
  'io.buildpacks.base.distro.name': name,
  'io.buildpacks.base.distro.version': version,
});

/** A run image: the busybox base plus distro and base-id labels. */
export async function runImage(name: string, labels: Record<string, string>): Promise<Image> {
  const base = await baseImage(name);
  return mutate(base, { config: { labels: { ...labels, 'io.buildpacks.base.id': `run-${name}` } } });
}

/**
 * An app image as a lifecycle exports it on `run`: the run image's layers, one app layer whose
 * entrypoint prints the base name, and the `io.buildpacks.lifecycle.metadata` label in the shape the
 * reference Go lifecycle writes (including the deprecated `stack` key).
 */
export async function appImage(
  run: Image,
  runRef: string,
  runName: string,
  opts: { mirrors?: string[]; labels?: Record<string, string>; platformApi?: string } = {},
): Promise<Image> {
  const app = await layerOf({
    'workspace/hello': { content: '#!/bin/sh\necho "app on $(cat /etc/base-name)"\n', mode: 0o755 },
  });
  const meta = {
    app: [{ sha: app.diffID }],
    buildpacks: [{ key: 'acme/app', version: '1.0.0', layers: {} }],
    runImage: {
      topLayer: run.config.rootfs.diff_ids.at(-1),
      reference: runRef,
      image: runName,
      ...(opts.mirrors ? { mirrors: opts.mirrors } : {}),
    },
    stack: { runImage: { image: runName, ...(opts.mirrors ? { mirrors: opts.mirrors } : {}) } },
  };
  return mutate(run, {
    addLayers: [{ layer: app, history: { created_by: 'app layer' } }],
    config: {
      env: { CNB_PLATFORM_API: opts.platformApi ?? '0.12' },
      entrypoint: ['/workspace/hello'],
      cmd: null,
      workingDir: '/workspace',
      labels: { ...opts.labels, [LIFECYCLE_METADATA_LABEL]: JSON.stringify(meta) },
    },
  });
}

/** Pushes an image and returns its digest reference. */
export async function push(ref: string, img: Image): Promise<string> {
  const r = await remote.write(ref, img);
  return `${ref.replace(/:[^/:]+$/, '')}@${r.digest}`;
}
