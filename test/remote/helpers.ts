import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { type Descriptor, type Image, type Layer, MediaType } from '../../src/image/types.ts';

/** In-memory test images and hand-written OCI layouts (no code under test involved in making them). */

export const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A deterministic tar of the given files. */
export async function tarOf(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files).sort()) {
    p.entry({ name, mtime: new Date(315532801000), mode: 0o644, uid: 0, gid: 0 }, content);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface MemLayer extends Layer {
  readonly blob: Buffer;
  readonly tar: Buffer;
}

/** A layer held in memory (gzip unless `uncompressed`). */
export async function memLayer(
  files: Readonly<Record<string, string | Buffer>>,
  uncompressed = false,
): Promise<MemLayer> {
  const tar = await tarOf(files);
  const blob = uncompressed ? tar : gzipSync(tar, { level: 1 });
  return {
    blob,
    tar,
    digest: sha(blob),
    diffID: sha(tar),
    size: blob.length,
    mediaType: uncompressed ? MediaType.ociLayer : MediaType.ociLayerGzip,
    compressed: async () => Readable.from([blob]),
    uncompressed: async () => Readable.from([tar]),
  };
}

/** An image of in-memory layers, OCI (default) or Docker v2 schema 2 media types. */
export function memImage(layers: readonly Layer[], opts: { docker?: boolean; label?: string } = {}): Image {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: '1980-01-01T00:00:01Z',
    config: { Env: ['PATH=/usr/bin:/bin'], Labels: { 'test.label': opts.label ?? 'x' } },
    rootfs: { type: 'layers' as const, diff_ids: layers.map((l) => l.diffID) },
  };
  const rawConfig = Buffer.from(JSON.stringify(config));
  const docker = opts.docker === true;
  const layerType = (l: Layer) =>
    docker && l.mediaType === MediaType.ociLayerGzip ? MediaType.dockerLayerGzip : l.mediaType;
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: {
      mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
      digest: sha(rawConfig),
      size: rawConfig.length,
    },
    layers: layers.map((l): Descriptor => ({ mediaType: layerType(l), digest: l.digest, size: l.size })),
  };
  const rawManifest = Buffer.from(JSON.stringify(manifest));
  const typed = layers.map((l) => Object.assign(Object.create(l) as Layer, { mediaType: layerType(l) }));
  return {
    digest: sha(rawManifest),
    manifest,
    rawManifest,
    config,
    rawConfig,
    layers: docker ? typed : layers,
  };
}

/** Writes an OCI image layout by hand: blobs/sha256/…, index.json (optionally an index of platforms). */
export function writeLayout(
  dir: string,
  images: readonly {
    image: Image;
    blobs: readonly Buffer[];
    platform?: { os: string; architecture: string };
  }[],
  tag: string,
  asIndex = false,
): { indexDigest?: string } {
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  const put = (b: Uint8Array) => writeFileSync(join(blobDir, sha(b).slice(7)), b);
  const descs: Descriptor[] = [];
  for (const { image, blobs, platform } of images) {
    for (const b of blobs) put(b);
    put(image.rawConfig);
    put(image.rawManifest);
    descs.push({
      mediaType: image.manifest.mediaType ?? MediaType.ociManifest,
      digest: image.digest,
      size: image.rawManifest.length,
      ...(platform === undefined ? {} : { platform }),
    });
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const ann = { 'org.opencontainers.image.ref.name': tag };
  if (!asIndex) {
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: descs.map((d) => ({ ...d, annotations: ann })) }),
    );
    return {};
  }
  const idx = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: descs }),
  );
  put(idx);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MediaType.ociIndex, digest: sha(idx), size: idx.length, annotations: ann }],
    }),
  );
  return { indexDigest: sha(idx) };
}

/** Runs skopeo (TLS verification off: the test registry is plain HTTP); throws with its stderr on failure. */
export function skopeo(...args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined) throw new Error(`skopeo is not installed or not on PATH: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Collects a stream. */
export async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
