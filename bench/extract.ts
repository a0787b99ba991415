/**
 * Extraction benchmark (issue 9 "Many small files"): makes an uncompressed layer tar of N small files
 * (as the exporter writes it: absolute paths under `/layers/sbom/launch/<bp>/<layer>`), then times in the
 * same run GNU `tar -x` of that tar and this project's extractor on it, as the restorer uses it (one
 * cached layer into its own directory) and as the analyzer uses it (SBOM layer restore). Prints every
 * round, the best of the rounds, the ratio against `tar -x` (wall time; CPU time beside it, from the
 * start of the extraction) and the extractor process's peak RSS.
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

const root = await mkdtemp(join(tmpdir(), 'extract-bench-'));
try {
  const tar = join(root, 'layer.tar');
  const { diffID, size: bytes } = await writeLayer(entries(), tar, { compression: 'none' });
  console.log(`data: ${files} files of ${size} bytes, tar ${(bytes / 2 ** 20).toFixed(0)} MiB`);
  const target = join(root, 'out');
  const clean = () => execFileSync('rm', ['-rf', target]);
  tarX(tar, target); // warm the page cache and the file system
  clean();
  const best: Record<string, Run & { ratio: number }> = {};
  let base: Run | undefined;
  const fmt = (r: Run) => `${r.seconds.toFixed(2)} s (cpu ${r.cpuSeconds.toFixed(2)} s)`;
  for (let round = 1; round <= rounds; round++) {
    const b = tarX(tar, target);
    clean();
    if (base === undefined || b.seconds < base.seconds) base = b;
    console.log(`round ${round}: tar -x: ${fmt(b)}`);
    for (const mode of ['layer', 'sbom'] as const) {
      await mkdir(target, { recursive: true });
      const r = ours(mode, tar, mode === 'layer' ? join(target, 'many') : target, diffID);
      clean();
      const ratio = r.seconds / b.seconds;
      console.log(
        `round ${round}: ${mode} restore: ${fmt(r)}, ratio ${ratio.toFixed(2)}x (cpu ${(r.cpuSeconds / b.cpuSeconds).toFixed(2)}x), peak RSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB`,
      );
      const prev = best[mode];
      if (prev === undefined || r.seconds < prev.seconds)
        best[mode] = { ...r, ratio, maxRSSKiB: Math.max(r.maxRSSKiB, prev?.maxRSSKiB ?? 0) };
    }
  }
  if (base !== undefined) {
    console.log(`best of ${rounds}: tar -x: ${fmt(base)}`);
    for (const [mode, r] of Object.entries(best)) {
      console.log(
        `best of ${rounds}: ${mode} restore: ${fmt(r)}, ratio ${(r.seconds / base.seconds).toFixed(2)}x (best vs best), peak RSS ${(r.maxRSSKiB / 1024).toFixed(0)} MiB (max over rounds)`,
      );
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
