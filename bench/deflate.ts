/**
 * Deflate benchmark (docs/decisions.md D-435): tars a directory (GNU `tar`, its first 64 MiB), cuts it
 * into the exporter's 1 MiB blocks and raw-deflates them two at a time on the thread pool, as parallel
 * gzip does, with zlib's default hash table (memLevel 8) and with the lifecycle's (DEFLATE_MEM_LEVEL),
 * alternating, at the lifecycle's level 1. Prints each setting's mean time per MiB and its output as a
 * share of the input, and the ratio of the two times.
 *
 *   node --import tsx bench/deflate.ts [<dir>] [--rounds 6]     (default dir: this checkout's node_modules)
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateRaw, type ZlibOptions } from 'node:zlib';
import { DEFLATE_MEM_LEVEL } from '../src/layer/index.ts';

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

async function pass(memLevel: number): Promise<{ ms: number; out: number }> {
  const t0 = performance.now();
  let out = 0;
  for (let i = 0; i < blocks.length; i += 2) {
    const done = await Promise.all(blocks.slice(i, i + 2).map((b) => deflate(b, memLevel)));
    for (const d of done) out += d.length;
  }
  return { ms: performance.now() - t0, out };
}

const levels = [8, DEFLATE_MEM_LEVEL];
const total = new Map<number, { ms: number; out: number }>();
for (let r = 0; r < rounds; r++) {
  for (const m of r % 2 ? [...levels].reverse() : levels) {
    const p = await pass(m);
    const t = total.get(m) ?? { ms: 0, out: 0 };
    total.set(m, { ms: t.ms + p.ms, out: p.out });
  }
}
console.log(`${src}: ${blocks.length} MiB of tar, ${rounds} rounds, level 1, two blocks at a time`);
for (const m of levels) {
  const t = total.get(m) as { ms: number; out: number };
  const share = ((t.out / (blocks.length * MiB)) * 100).toFixed(2);
  console.log(
    `  memLevel ${m}: ${(t.ms / rounds / blocks.length).toFixed(2)} ms/MiB, output ${share} % of input`,
  );
}
const [a, b] = levels.map((m) => (total.get(m) as { ms: number }).ms) as [number, number];
console.log(`  memLevel ${DEFLATE_MEM_LEVEL} / memLevel 8: ${(b / a).toFixed(2)}x the time`);
