import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { looksIncompressible, ParallelGzip, SEGMENT, storedBlocks, storeRuns } from './parallel-gzip.ts';
import type { LayerEntry } from './walk.ts';
import { writeLayer } from './write.ts';

/** 3 MiB + 123 bytes: random and repetitive parts, so blocks both compress and reference their dictionary. */
function sample(): Buffer {
  const random = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(
    Buffer.alloc(1 << 20),
  );
  const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(80_000)).subarray(0, (2 << 20) + 123);
  return Buffer.concat([text.subarray(0, 1 << 20), random, text.subarray(1 << 20)]);
}

async function gzipWith(data: Buffer, opts: ConstructorParameters<typeof ParallelGzip>[0]): Promise<Buffer> {
  const chunks = [];
  for (let i = 0; i < data.length; i += 100_000) chunks.push(data.subarray(i, i + 100_000));
  return buffer(Readable.from(chunks).pipe(new ParallelGzip(opts)));
}

/** Gzips `data` with 3 threads and with 1, asserts the same bytes, and that gunzip and the system gzip give `data` back. */
async function assertRoundTrip(data: Buffer, blockSize: number): Promise<Buffer> {
  const a = await gzipWith(data, { level: 1, blockSize, threads: 3 });
  const b = await gzipWith(data, { level: 1, blockSize, threads: 1 });
  assert.deepEqual(a, b);
  assert.deepEqual(gunzipSync(a), data);
  const r = spawnSync('gzip', ['-dc'], { input: a, maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr?.toString());
  assert.deepEqual(r.stdout, data);
  return a;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('ParallelGzip', () => {
  const data = sample();

  it('produces one valid gzip member that gunzip and the system gzip accept', async () => {
    const gz = await gzipWith(data, { level: 1, blockSize: 256 << 10, threads: 2 });
    assert.deepEqual(gunzipSync(gz), data);
    assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);
    const r = spawnSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr?.toString());
    assert.deepEqual(r.stdout, data);
  });

  it('is deterministic for a block size whatever the thread count or input chunking', async () => {
    const a = await gzipWith(data, { level: 1, blockSize: 256 << 10, threads: 1 });
    const b = await gzipWith(data, { level: 1, blockSize: 256 << 10, threads: 4 });
    const c = await buffer(
      Readable.from([data]).pipe(new ParallelGzip({ level: 1, blockSize: 256 << 10, threads: 3 })),
    );
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    const other = await gzipWith(data, { level: 1, blockSize: 1 << 20, threads: 4 });
    assert.notDeepEqual(a, other);
    assert.deepEqual(gunzipSync(other), data);
  });

  it('uses the previous block as dictionary (repetitive data compresses across blocks)', async () => {
    const text = Buffer.from('abcdefgh'.repeat(1 << 17));
    const gz = await gzipWith(text, { level: 6, blockSize: 64 << 10 });
    assert.ok(gz.length < 2000, `expected a tiny output, got ${gz.length}`);
    assert.deepEqual(gunzipSync(gz), text);
  });

  it('stores incompressible blocks (D-388): valid gzip, round trip, deterministic, about input size', async () => {
    const random = data.subarray(1 << 20, 2 << 20);
    assert.equal(looksIncompressible(random), true);
    assert.equal(looksIncompressible(data.subarray(0, 1 << 20)), false);
    assert.equal(looksIncompressible(random.subarray(0, 1000)), false, 'too small to sample');
    // A stored run: 5 bytes of header per 65,535 bytes, the data itself in between.
    const stored = storedBlocks(random.subarray(0, 70_000));
    assert.equal(stored.length, 70_010);
    assert.deepEqual([...stored.subarray(0, 5)], [0, 0xff, 0xff, 0, 0]);
    assert.deepEqual(stored.subarray(5, 65_540), random.subarray(0, 65_535));
    assert.deepEqual(
      [...stored.subarray(65_540, 65_545)],
      [0, 4465 & 0xff, 4465 >> 8, ~4465 & 0xff, (~4465 >> 8) & 0xff],
    );
    // Random, then text that refers back into the random block's tail through the dictionary.
    const mixed = Buffer.concat([random, random.subarray(0, 300_000), data.subarray(0, 1 << 20)]);
    await assertRoundTrip(mixed, 256 << 10);
    const onlyRandom = await gzipWith(random, { level: 1, blockSize: 256 << 10 });
    const overhead = onlyRandom.length - random.length;
    assert.ok(overhead > 0 && overhead < 200, `stored output is the input plus headers, got +${overhead}`);
  });

  it('cuts a block that mixes random and text bytes into stored and deflated runs (D-436)', () => {
    const random = data.subarray(1 << 20, 2 << 20);
    const text = data.subarray(0, 1 << 20);
    const K = 1 << 10;
    // A tar header's worth of zeros inside a random segment, where a sample falls (16 KiB in).
    const dotted = Buffer.from(random.subarray(0, 256 * K));
    dotted.fill(0, 64 * K + 16 * K, 64 * K + 16 * K + 512);
    const cases: Array<[string, Buffer, Array<[number, number, boolean]>]> = [
      ['text only', text, [[0, 1 << 20, false]]],
      ['random only', random, [[0, 1 << 20, true]]],
      ['empty', Buffer.alloc(0), []],
      ['too small to sample', random.subarray(0, 20 * K), [[0, 20 * K, false]]],
      [
        'text, random, text',
        Buffer.concat([text.subarray(0, 256 * K), random.subarray(0, 512 * K), text.subarray(0, 256 * K)]),
        [
          [0, 256 * K, false],
          [256 * K, 768 * K, true],
          [768 * K, 1024 * K, false],
        ],
      ],
      [
        'random with zeros in its second segment, then text',
        Buffer.concat([dotted, text.subarray(0, 768 * K)]),
        [
          [0, 64 * K, true],
          [64 * K, 128 * K, false],
          [128 * K, 256 * K, true],
          [256 * K, 1024 * K, false],
        ],
      ],
      [
        'a text tail shorter than a segment, after random',
        Buffer.concat([random.subarray(0, 1000 * K), text.subarray(0, 24 * K)]),
        [
          [0, 960 * K, true],
          [960 * K, 1024 * K, false],
        ],
      ],
    ];
    for (const [name, block, want] of cases) assert.deepEqual(storeRuns(block), want, name);
    assert.equal(SEGMENT, 64 * K);
  });

  it('round-trips mixed blocks run by run, deterministically, storing only the random runs', async () => {
    const random = data.subarray(1 << 20, 2 << 20);
    const text = data.subarray(0, 1 << 20);
    // Every 1 MiB block mixes: 384 KiB of text, then 640 KiB of random bytes (the text refers back
    // across the stored run and the block edge through the dictionary).
    const parts: Buffer[] = [];
    for (let i = 0; i < 4; i++)
      parts.push(text.subarray(i * 1000, i * 1000 + 384 * 1024), random.subarray(0, 640 * 1024));
    const mixed = Buffer.concat(parts);
    const a = await assertRoundTrip(mixed, 1 << 20);
    // The random runs cost their size plus 5 bytes per 65,535; the text compresses as before.
    const randomBytes = 4 * 640 * 1024;
    assert.ok(a.length > randomBytes && a.length < randomBytes + 4 * 60 * 1024, `got ${a.length}`);
  });

  it('handles empty input, level 0 and rejects tiny blocks', async () => {
    assert.deepEqual(gunzipSync(await gzipWith(Buffer.alloc(0), { level: 1 })), Buffer.alloc(0));
    assert.deepEqual(gunzipSync(await gzipWith(data, { level: 0, blockSize: 1 << 20 })), data);
    assert.throws(() => new ParallelGzip({ level: 1, blockSize: 1000 }), /block size/);
  });

  it('is the layer compressor when writeLayer is asked for it, with the same diffID', async () => {
    const entries: LayerEntry[] = [{ name: 'big', type: 'file', mode: 0o644, uid: 0, gid: 0, content: data }];
    const single = await writeLayer(entries, '/dev/null');
    const out = new PassThrough();
    const gz = buffer(out);
    const p1 = await writeLayer(entries, out, { parallel: { threads: 1 } });
    const p2 = await writeLayer(entries, '/dev/null', { parallel: { threads: 2 } });
    assert.equal(p1.diffID, single.diffID);
    assert.deepEqual(p1, p2);
    const blob = await gz;
    assert.equal(p1.digest, sha(blob));
    assert.equal(p1.diffID, sha(gunzipSync(blob)));
  });
});
