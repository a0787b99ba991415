/**
 * Layer export benchmark (DESIGN.md "Performance design"): time to write a gzip layer from a ~1 GiB
 * directory of mixed compressible/random files, against `tar -cf - dir | gzip -1 | sha256sum` on the same
 * directory in the same run. Prints both times, the ratio and the peak RSS of the layer writer.
 *
 *   node --import tsx bench/layer.ts [--mib 1024] [--threads N] [--rounds 3]
 *
 * Prints every round and the best (minimum wall time) of the rounds; the machine may be shared.
 * `--threads N` also measures the pigz-style block-parallel compressor with N worker threads.
 * The data is generated deterministically in a temp dir and removed afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBenchTree } from './layer-data.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const mib = Number(flag('--mib') ?? 1024);
const threads = flag('--threads');
const rounds = Number(flag('--rounds') ?? 3);
const here = dirname(fileURLToPath(import.meta.url));

interface Timing {
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/** Wall time, and CPU time of the three processes (bash `times` reports the children's user+sys). */
function baseline(dir: string): Timing {
  const t0 = performance.now();
  const script = 'tar -cf - -C "$1" "$2" | gzip -1 | sha256sum >/dev/null; times';
  const out = execFileSync('bash', ['-c', script, '_', dirname(dir), basename(dir)], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  const children = out.trim().split('\n').at(-1) ?? '';
  const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (a, m) => a + Number(m[1]) * 60 + Number(m[2]),
    0,
  );
  return { seconds, cpuSeconds };
}

function ours(dir: string, extra: string[]): Timing & { maxRSSKiB: number; size: number } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'layer-run.ts'), dir, '/dev/null', ...extra],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`layer-run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Timing & { maxRSSKiB: number; size: number };
}

const root = await mkdtemp(join(tmpdir(), 'layer-bench-'));
try {
  const dir = join(root, 'tree');
  const g = await makeBenchTree(dir, mib << 20);
  console.log(`data: ${g.files} files, ${(g.bytes / 2 ** 20).toFixed(0)} MiB in ${dir}`);
  baseline(dir); // warm the page cache
  const runs: Array<[string, string[]]> = [['writeLayer (single zlib stream)', []]];
  if (threads !== undefined) runs.push([`writeLayer (parallel, ${threads} threads)`, [threads]]);
  const best = new Map<string, Timing & { maxRSSKiB: number; size: number }>();
  let base: Timing | undefined;
  const fmt = (t: Timing) => `${t.seconds.toFixed(2)} s (cpu ${t.cpuSeconds.toFixed(2)} s)`;
  for (let round = 1; round <= rounds; round++) {
    const b = baseline(dir);
    console.log(`round ${round}: tar | gzip -1 | sha256sum: ${fmt(b)}`);
    if (base === undefined || b.seconds < base.seconds) base = b;
    for (const [label, extra] of runs) {
      const r = ours(dir, extra);
      console.log(
        `round ${round}: ${label}: ${fmt(r)}, ratio ${(r.seconds / b.seconds).toFixed(2)}x, peak RSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB`,
      );
      const prev = best.get(label);
      if (prev === undefined || r.seconds < prev.seconds)
        best.set(label, { ...r, maxRSSKiB: Math.max(r.maxRSSKiB, prev?.maxRSSKiB ?? 0) });
    }
  }
  if (base !== undefined) {
    console.log(`best of ${rounds}: tar | gzip -1 | sha256sum: ${fmt(base)}`);
    for (const [label, r] of best) {
      console.log(
        `best of ${rounds}: ${label}: ${fmt(r)}, ratio ${(r.seconds / base.seconds).toFixed(2)}x, ` +
          `peak RSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB (max over rounds), blob ${(r.size / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
