/**
 * Child process of bench/layer.ts: writes one layer from a directory and prints JSON with the elapsed time
 * and the process's peak RSS. Usage: layer-run.ts <dir> <sink> [threads]
 */
import { writeLayer } from '../src/layer/index.ts';

const [dir, sink = '/dev/null', threads] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: layer-run.ts <dir> <sink> [threads]');
const t0 = performance.now();
const parallel = threads === undefined ? {} : { parallel: { threads: Number(threads) } };
const r = await writeLayer({ dir, prefix: dir, uid: 1000, gid: 1000 }, sink, { gzipLevel: 1, ...parallel });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ seconds, cpuSeconds, maxRSSKiB: process.resourceUsage().maxRSS, ...r })}\n`,
);
