import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decompressLayer, LayerMediaType, layerCompression } from './media-type.ts';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('layer media types (D-216)', () => {
  const cases: [string, string, ReturnType<typeof layerCompression>][] = [
    ['OCI tar', LayerMediaType.ociTar, 'none'],
    ['OCI gzip', LayerMediaType.ociGzip, 'gzip'],
    ['OCI zstd', LayerMediaType.ociZstd, 'zstd'],
    ['OCI non-distributable gzip', LayerMediaType.ociNondistributableGzip, 'gzip'],
    ['Docker plain tar (docker save)', LayerMediaType.dockerTar, 'none'],
    ['Docker gzip', LayerMediaType.dockerGzip, 'gzip'],
    ['Docker foreign gzip', LayerMediaType.dockerForeignGzip, 'gzip'],
    ['a config is no layer', 'application/vnd.oci.image.config.v1+json', undefined],
    ['a suffix alone is not enough', 'application/x-something+gzip', undefined],
  ];
  for (const [name, mt, want] of cases) it(name, () => assert.equal(layerCompression(mt), want));

  it('decompresses gzip and plain tars, verified against the diffID', async () => {
    const tar = Buffer.alloc(1024, 7);
    const gz = gzipSync(tar);
    assert.deepEqual(
      await collect(decompressLayer(Readable.from([gz]), LayerMediaType.dockerGzip, sha(tar), 'l')),
      tar,
    );
    assert.deepEqual(
      await collect(decompressLayer(Readable.from([tar]), LayerMediaType.dockerTar, sha(tar), 'l')),
      tar,
    );
    await assert.rejects(
      collect(decompressLayer(Readable.from([gz]), LayerMediaType.ociGzip, sha(Buffer.from('x')), 'layer L')),
      { code: 'ERR_DIGEST_MISMATCH' },
    );
  });

  it('an unknown media type is a clear error naming the layer', () => {
    assert.throws(() => decompressLayer(Readable.from([]), 'application/x-foo', 'sha256:0', 'layer L of R'), {
      code: 'ERR_LAYER_MEDIA_TYPE',
      message: /^layer L of R: cannot decompress media type application\/x-foo/,
    });
  });
});
