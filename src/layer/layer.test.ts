import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { MediaType } from '../image/types.ts';
import { fileLayer, layerFromDir } from './layer.ts';

describe('layerFromDir', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'layer-file-'));
    mkdirSync(join(tmp, 'src'));
    writeFileSync(join(tmp, 'src', 'a.txt'), 'a\n');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('returns a Layer backed by the blob file with verified streams', async () => {
    const blob = join(tmp, 'blob.tgz');
    const layer = await layerFromDir({ dir: join(tmp, 'src'), prefix: '/workspace', uid: 1, gid: 2 }, blob);
    assert.equal(layer.mediaType, MediaType.ociLayerGzip);
    assert.equal(layer.path, blob);
    const gz = await buffer(await layer.compressed());
    assert.deepEqual(gz, readFileSync(blob));
    assert.equal(layer.size, gz.length);
    assert.deepEqual(await buffer(await layer.uncompressed()), gunzipSync(gz));
  });

  it('detects a blob changed on disk while reading it', async () => {
    const blob = join(tmp, 'changed.tgz');
    const layer = await layerFromDir({ dir: join(tmp, 'src'), prefix: '/workspace', uid: 1, gid: 2 }, blob);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    writeFileSync(blob, bytes);
    await assert.rejects(async () => buffer(await layer.compressed()), { code: 'ERR_DIGEST_MISMATCH' });
    await assert.rejects(
      async () => buffer(await layer.uncompressed()),
      /incorrect data check|expected layer/,
    );
    const fresh = await layerFromDir({ dir: join(tmp, 'src'), prefix: '/workspace', uid: 1, gid: 2 }, blob);
    const other = fileLayer(blob, { ...fresh, diffID: `sha256:${'2'.repeat(64)}` });
    await assert.rejects(async () => buffer(await other.uncompressed()), {
      code: 'ERR_DIGEST_MISMATCH',
      message:
        /^expected layer sha256:[0-9a-f]{64} \(.*changed\.tgz\) \(uncompressed\) to have SHA 'sha256:2222/,
    });
  });

  it('writes an uncompressed layer with the plain tar media type', async () => {
    const blob = join(tmp, 'plain.tar');
    const layer = await layerFromDir({ dir: join(tmp, 'src'), prefix: '/workspace', uid: 1, gid: 2 }, blob, {
      compression: 'none',
    });
    assert.equal(layer.mediaType, MediaType.ociLayer);
    assert.equal(layer.digest, layer.diffID);
    assert.deepEqual(await buffer(await layer.uncompressed()), readFileSync(blob));
  });
});
