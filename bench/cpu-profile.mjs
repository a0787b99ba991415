/**
 * Summarises a `node --cpu-prof` profile of the main thread (docs/performance.md): self time by
 * function (top N), the share of idle (the main thread waiting: on the thread pool's gzip, the disk,
 * the socket), and a timeline of what the main thread did in each slice of the run.
 *
 *   node bench/cpu-profile.mjs <file.cpuprofile> [top=20] [slice seconds=0.5]
 */
import { readFileSync } from 'node:fs';

const [file, topArg = '20', sliceArg = '0.5'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/cpu-profile.mjs <file.cpuprofile> [top] [slice seconds]');
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.split('/').pop()}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const self = new Map();
const slices = [];
const slice = Number(sliceArg) * 1e6;
let t = prof.startTime;
let total = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  t += dt;
  total += dt;
  const name = label(byId.get(id));
  self.set(name, (self.get(name) ?? 0) + dt);
  const k = Math.floor((t - prof.startTime) / slice);
  slices[k] ??= new Map();
  slices[k].set(name, (slices[k].get(name) ?? 0) + dt);
});
const ms = (us) => `${(us / 1000).toFixed(0)} ms`;
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`;
console.log(`${file}: ${ms(total)} sampled on the main thread`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg)))
  console.log(`  ${pct(us).padStart(6)} ${ms(us).padStart(8)}  ${name}`);
console.log(`timeline (${sliceArg} s slices): busy share, then the top two functions`);
slices.forEach((m, k) => {
  if (!m) return;
  const all = [...m.values()].reduce((a, b) => a + b, 0);
  const idle = m.get('(idle)') ?? 0;
  const top = [...m]
    .filter(([n]) => n !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2)
    .map(([n, us]) => `${n} ${ms(us)}`)
    .join(', ');
  console.log(
    `  ${(k * Number(sliceArg)).toFixed(1).padStart(5)} s ${(100 - (100 * idle) / all).toFixed(0).padStart(3)}%  ${top}`,
  );
});
