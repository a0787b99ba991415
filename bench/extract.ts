/**
 * Extraction benchmark (issue 9 "Many small files"): makes an uncompressed layer tar of N small files
 * (as the exporter writes it: absolute paths under `/layers/sbom/launch/<bp>/<layer>`), then times in the
 * same run GNU `tar -x` of that tar and this project's extractor on it, as the restorer uses it (one
 * cached layer into its own directory) and as the analyzer uses it (SBOM layer restore). Prints every
 * round's ratio against that round's `tar -x` (wall time; CPU time beside it, from the start of the
 * extraction), the median of those ratios, and the extractor process's peak RSS.
 *
 *   node --import tsx bench/extract.ts [--files 100000] [--size 200] [--rounds 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LayerEntry, writeLayer } from '../src/layer/index.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const files = Number(flag('--files') ?? 100_000);
const size = Number(flag('--size') ?? 200);
const rounds = Number(flag('--rounds') ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const LAYER = '/layers/sbom/launch/example_bp/many';

/** The layer's entries: parents, then 100 files per directory with distinct contents. */
function* entries(): Generator<LayerEntry> {
  const dir = (name: string): LayerEntry => ({ name, type: 'dir', mode: 0o755, uid: 1000, gid: 1000 });
  const parts = LAYER.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) yield dir(`/${parts.slice(0, i).join('/')}`);
  const pad = 'x'.repeat(size);
  for (let i = 0; i < files; i++) {
    if (i % 100 === 0) yield dir(`${LAYER}/d${i / 100}`);
    const content = `${i}:${pad}`.slice(0, size);
    yield {
      name: `${LAYER}/d${Math.floor(i / 100)}/f${i}.json`,
      type: 'file',
      mode: 0o644,
      uid: 1000,
      gid: 1000,
      content,
    };
  }
}

/** Wall and CPU seconds of GNU `tar -x` of `tar` into `target` (bash `times` gives the child's user+sys). */
function tarX(tar: string, target: string): Run {
  const t0 = performance.now();
  const script = 'mkdir -p "$2" && tar -x -f "$1" -C "$2" 2>/dev/null; times';
  const out = execFileSync('bash', ['-c', script, '_', tar, target], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  const children = out.trim().split('\n').at(-1) ?? '';
  const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (a, m) => a + Number(m[1]) * 60 + Number(m[2]),
    0,
  );
  return { seconds: wall, cpuSeconds, maxRSSKiB: 0 };
}

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRSSKiB: number;
}

function ours(mode: 'layer' | 'sbom', tar: string, target: string, diffID: string): Run {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'extract-run.ts'), mode, tar, target, LAYER, diffID],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`extract-run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const root = await mkdtemp(join(tmpdir(), 'extract-bench-'));
try {
  const tar = join(root, 'layer.tar');
  const { diffID, size: bytes } = await writeLayer(entries(), tar, { compression: 'none' });
  console.log(`data: ${files} files of ${size} bytes, tar ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  // Deleting many files leaves the file system work (journal commits, discards of the freed blocks) that
  // slows whatever creates files next, by up to 9x on this machine (`tar -x` of 100,000 files: 4 s after
  // no deletion, 37 s after one): no timed run follows a deletion. Every run extracts into a directory
  // of its own, and everything is deleted at the end.
  let n = 0;
  const fresh = () => join(root, `out-${n++}`);
  execFileSync('sync');
  tarX(tar, fresh()); // warm the page cache and the file system
  const fmt = (r: Run) => `${r.seconds.toFixed(2)} s (cpu ${r.cpuSeconds.toFixed(2)} s)`;
  const ratios: Record<'layer' | 'sbom', number[]> = { layer: [], sbom: [] };
  const cpuRatios: Record<'layer' | 'sbom', number[]> = { layer: [], sbom: [] };
  let peak = { layer: 0, sbom: 0 };
  const order = ['tar', 'layer', 'sbom'] as const;
  for (let round = 1; round <= rounds; round++) {
    // The file system's speed drifts during a run: rotate the order so no contender always goes first,
    // and compare each of ours with the `tar -x` of its own round.
    const runs: Partial<Record<(typeof order)[number], Run>> = {};
    for (let k = 0; k < order.length; k++) {
      const what = order[(k + round - 1) % order.length]!;
      const target = fresh();
      await mkdir(target, { recursive: true });
      // The previous run's dirty pages are written back now, not while (and charged to) this run.
      execFileSync('sync');
      runs[what] =
        what === 'tar'
          ? tarX(tar, target)
          : ours(what, tar, what === 'layer' ? join(target, 'many') : target, diffID);
    }
    const b = runs.tar!;
    console.log(`round ${round}: tar -x: ${fmt(b)}`);
    for (const mode of ['layer', 'sbom'] as const) {
      const r = runs[mode]!;
      ratios[mode].push(r.seconds / b.seconds);
      cpuRatios[mode].push(r.cpuSeconds / b.cpuSeconds);
      peak = { ...peak, [mode]: Math.max(peak[mode], r.maxRSSKiB) };
      console.log(
        `round ${round}: ${mode} restore: ${fmt(r)}, ratio ${(r.seconds / b.seconds).toFixed(2)}x (cpu ${(r.cpuSeconds / b.cpuSeconds).toFixed(2)}x), peak RSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB`,
      );
    }
  }
  for (const mode of ['layer', 'sbom'] as const) {
    const all = ratios[mode].map((x) => x.toFixed(2)).join(', ');
    console.log(
      `median of ${rounds}: ${mode === 'layer' ? 'restorer (layer)' : 'analyzer (SBOM)'} path ${median(ratios[mode]).toFixed(2)}x tar -x (rounds: ${all}; cpu ${median(cpuRatios[mode]).toFixed(2)}x), peak RSS ${(peak[mode] / 1024).toFixed(0)} MiB`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
