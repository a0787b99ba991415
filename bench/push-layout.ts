import { createCipheriv, createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  type Descriptor,
  type Image,
  type ImageConfig,
  type Layer,
  type Manifest,
  MediaType,
} from '../src/image/types.ts';
import { verifyDigest } from '../src/layer/index.ts';

/** Bench helpers: a hand-written OCI layout of deterministic random-ish layers, and an Image reading it. */

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `size` bytes of AES-CTR keystream for `seed` (deterministic, incompressible), in 1 MiB chunks. */
async function* keystream(seed: number, size: number): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(`bench-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zero = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= zero.length)
    yield cipher.update(left >= zero.length ? zero : zero.subarray(0, left));
}

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** Writes one gzip'd tar layer holding one file of `size` random-ish bytes; returns its identity. */
async function writeLayer(blobDir: string, seed: number, size: number) {
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let blobSize = 0;
  const tmp = join(blobDir, `tmp-${seed}`);
  async function* tar() {
    yield tarHeader(`data/layer-${seed}.bin`, size);
    yield* keystream(seed, size);
    const pad = (512 - (size % 512)) % 512;
    yield Buffer.alloc(pad + 1024);
  }
  const hashTar = new Transform({
    transform(c: Buffer, _e, cb) {
      tarHash.update(c);
      cb(null, c);
    },
  });
  const hashBlob = new Transform({
    transform(c: Buffer, _e, cb) {
      blobHash.update(c);
      blobSize += c.length;
      cb(null, c);
    },
  });
  await pipeline(tar(), hashTar, createGzip({ level: 1 }), hashBlob, createWriteStream(tmp));
  const digest = `sha256:${blobHash.digest('hex')}`;
  renameSync(tmp, join(blobDir, digest.slice(7)));
  return { digest, diffID: `sha256:${tarHash.digest('hex')}`, size: blobSize };
}

/** Generates an OCI layout of `count` layers of `layerSize` uncompressed bytes, tagged `tag`. */
export async function makeLayout(dir: string, count: number, layerSize: number, tag: string): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  const layers = await Promise.all(
    Array.from({ length: count }, (_, i) => writeLayer(blobDir, i, layerSize)),
  );
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.ociLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
  writeFileSync(join(blobDir, sha(config).slice(7)), config);
  writeFileSync(join(blobDir, sha(manifest).slice(7)), manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const desc = {
    mediaType: MediaType.ociManifest,
    digest: sha(manifest),
    size: manifest.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
}

/** Reads the layout's first image as an `Image` whose layers stream from files, verified. */
export function layoutImage(dir: string): Image {
  const blob = (d: string) => join(dir, 'blobs', 'sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const desc = index.manifests[0]!;
  const rawManifest = readFileSync(blob(desc.digest));
  const manifest = JSON.parse(rawManifest.toString()) as Manifest;
  const rawConfig = readFileSync(blob(manifest.config.digest));
  const config = JSON.parse(rawConfig.toString()) as ImageConfig;
  const layers = manifest.layers.map(
    (d, i): Layer => ({
      digest: d.digest,
      diffID: config.rootfs.diff_ids[i]!,
      size: d.size,
      mediaType: d.mediaType,
      compressed: async () =>
        verifyDigest(createReadStream(blob(d.digest), { highWaterMark: 1 << 20 }), d.digest, d.size),
      uncompressed: async () => {
        throw new Error('not needed by the bench');
      },
    }),
  );
  return { digest: desc.digest, manifest, rawManifest, config, rawConfig, layers };
}
