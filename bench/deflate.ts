/**
 * Deflate benchmark (docs/decisions.md D-435, D-436): tars a directory (GNU `tar`, its first 64 MiB),
 * cuts it into the exporter's 1 MiB blocks and, alternating, at the lifecycle's level 1:
 * - raw-deflates every block, two at a time on the thread pool, with zlib's default hash table
 *   (memLevel 8) and with the lifecycle's (DEFLATE_MEM_LEVEL), as pigz deflates every block;
 * - gzips the tar with the layer compressor (`ParallelGzip`), which stores incompressible runs.
 * Prints each one's mean wall time and CPU time per MiB and its output as a share of the input.
 *
 *   node --import tsx bench/deflate.ts [<dir>] [--rounds 6]     (default dir: this checkout's node_modules)
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { constants, deflateRaw, type ZlibOptions } from 'node:zlib';
import { DEFLATE_MEM_LEVEL } from '../src/layer/index.ts';
import { ParallelGzip } from '../src/layer/parallel-gzip.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--rounds');
const rounds = at >= 0 ? Number(args[at + 1]) : 6;
const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds');
const src = dir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
const MiB = 1 << 20;

const script = `tar -cf - -C "$1" . 2>/dev/null | head -c ${64 * MiB}`;
const tar = execFileSync('bash', ['-c', script, '_', src], { maxBuffer: 65 * MiB });
const blocks: Buffer[] = [];
for (let o = 0; o + MiB <= tar.length; o += MiB) blocks.push(tar.subarray(o, o + MiB));
if (blocks.length === 0) throw new Error(`${src}: under 1 MiB of tar, nothing to measure`);

const deflate = (b: Buffer, memLevel: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const opts: ZlibOptions = { level: 1, memLevel, finishFlush: constants.Z_SYNC_FLUSH, chunkSize: 2 * MiB };
    deflateRaw(b, opts, (err, out) => (err ? reject(err) : resolve(out)));
  });

interface Pass {
  readonly ms: number;
  readonly cpuMs: number;
  readonly out: number;
}

async function timed(f: () => Promise<number>): Promise<Pass> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = await f();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, out };
}

async function everyBlock(memLevel: number): Promise<number> {
  let out = 0;
  for (let i = 0; i < blocks.length; i += 2) {
    const done = await Promise.all(blocks.slice(i, i + 2).map((b) => deflate(b, memLevel)));
    for (const d of done) out += d.length;
  }
  return out;
}

const layerGzip = async (): Promise<number> =>
  (await buffer(Readable.from(blocks).pipe(new ParallelGzip({ level: 1 })))).length;

const ways: Array<[string, () => Promise<number>]> = [
  ['every block deflated, memLevel 8', () => everyBlock(8)],
  [`every block deflated, memLevel ${DEFLATE_MEM_LEVEL}`, () => everyBlock(DEFLATE_MEM_LEVEL)],
  ['layer gzip (incompressible runs stored)', layerGzip],
];
const total = new Map<string, Pass>();
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of r % 2 ? [...ways].reverse() : ways) {
    const p = await timed(f);
    const t = total.get(name) ?? { ms: 0, cpuMs: 0, out: 0 };
    total.set(name, { ms: t.ms + p.ms, cpuMs: t.cpuMs + p.cpuMs, out: p.out });
  }
}
console.log(`${src}: ${blocks.length} MiB of tar, ${rounds} rounds, level 1`);
const perMiB = (ms: number) => (ms / rounds / blocks.length).toFixed(2);
for (const [name] of ways) {
  const t = total.get(name) as Pass;
  const share = ((t.out / (blocks.length * MiB)) * 100).toFixed(2);
  console.log(`  ${name}: ${perMiB(t.ms)} ms/MiB wall, ${perMiB(t.cpuMs)} ms/MiB CPU, output ${share} %`);
}
