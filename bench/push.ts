/**
 * Push benchmark: a 5-layer, 500 MiB image (deterministic random-ish layers in a hand-written OCI
 * layout) pushed to a fresh local registry by `skopeo copy` and by `remote.write`, same run; then a
 * re-push, counting blob bytes uploaded. Run: `node --import tsx bench/push.ts [layers=5] [MiB per layer=100] [ABBA rounds=1]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as remote from '../src/image/remote/index.ts';
import { type RegistryHandle, startRegistry } from '../test/support/registry.ts';
import { layoutImage, makeLayout } from './push-layout.ts';

const count = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 100);
const rounds = Math.max(1, Number(process.argv[4] ?? 1));

/** Runs a command; resolves with its CPU seconds (user+sys, via the child's rusage). */
function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${cmd} exited ${code}: ${err}`));
        return;
      }
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(err);
      resolve(m === null ? Number.NaN : Number(m[1]) + Number(m[2]));
    });
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

const uploads = (reg: RegistryHandle) =>
  reg.requests().filter((r) => r.uri.includes('/blobs/uploads/')).length;

const tmp = mkdtempSync(join(tmpdir(), 'bench-push-'));
const regs: RegistryHandle[] = [];
try {
  const layout = join(tmp, 'layout');
  const g = await time(() => makeLayout(layout, count, mib << 20, 'v1'));
  const img = layoutImage(layout);
  const total = img.layers.reduce((a, l) => a + l.size, 0);
  console.log(
    `layout: ${count} layers, ${(total / 2 ** 20).toFixed(1)} MiB compressed (generated in ${g.toFixed(1)} s)`,
  );

  // ABBA order on fresh registries (skopeo, ours, ours, skopeo; `rounds` times) so neither tool gets the
  // warmer or quieter slot; `sync` first so earlier runs' writeback does not land on the next one.
  const stats = remote.createUploadStats();
  const sTimes: number[] = [];
  const oTimes: number[] = [];
  const sCpu: number[] = [];
  const oCpu: number[] = [];
  let regOurs: RegistryHandle | undefined;
  let regSkopeo: RegistryHandle | undefined;
  const one = async (tool: 'skopeo' | 'ours') => {
    const reg = await startRegistry();
    regs.push(reg);
    await run('sync', []);
    if (tool === 'skopeo') {
      regSkopeo = reg;
      const t = performance.now();
      sCpu.push(
        await run('skopeo', [
          'copy',
          '--dest-tls-verify=false',
          `oci:${layout}:v1`,
          `docker://${reg.host}/bench/app:v1`,
        ]),
      );
      sTimes.push((performance.now() - t) / 1000);
    } else {
      regOurs = reg;
      const cpu = process.cpuUsage();
      oTimes.push(await time(() => remote.write(`${reg.host}/bench/app:v1`, img, { stats })));
      const d = process.cpuUsage(cpu);
      oCpu.push((d.user + d.system) / 1e6);
    }
  };
  for (let r = 0; r < rounds; r++) {
    for (const tool of ['skopeo', 'ours', 'ours', 'skopeo'] as const) await one(tool);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  const skopeoSecs = mean(sTimes);
  const oursSecs = mean(oTimes);
  console.log(`skopeo copy:   ${fmt(sTimes)} s (mean ${skopeoSecs.toFixed(2)} s)`);
  console.log(
    `remote.write:  ${fmt(oTimes)} s (mean ${oursSecs.toFixed(2)} s; ${stats.blobsUploaded} blobs, ` +
      `${(stats.bytesUploaded / 2 ** 20).toFixed(1)} MiB uploaded in all, ${(total / 2 ** 20 / oursSecs).toFixed(0)} MiB/s)`,
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log(
    `ratio ours/skopeo: ${(oursSecs / skopeoSecs).toFixed(2)}x by mean, ${(median(oTimes) / median(sTimes)).toFixed(2)}x by median (target <= 1.0x)`,
  );
  console.log(`client CPU seconds: skopeo ${fmt(sCpu)}; ours ${fmt(oCpu)}`);

  const target = regOurs as RegistryHandle | undefined;
  const skopeoTarget = regSkopeo as RegistryHandle | undefined;
  if (target === undefined || skopeoTarget === undefined) throw new Error('no runs');
  const before = uploads(target);
  const again = remote.createUploadStats();
  const repushSecs = await time(() => remote.write(`${target.host}/bench/app:v1`, img, { stats: again }));
  await new Promise((r) => setTimeout(r, 200));
  console.log(
    `re-push:       ${repushSecs.toFixed(3)} s, ${again.bytesUploaded} blob bytes uploaded (stats), ` +
      `${uploads(target) - before} upload requests in the registry log, ${again.blobsExisting} blobs found by HEAD (target: 0 bytes, <= 0.5 s)`,
  );
  const skopeoRepush = await time(async () =>
    run('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      `oci:${layout}:v1`,
      `docker://${skopeoTarget.host}/bench/app:v1`,
    ]),
  );
  console.log(`skopeo re-push: ${skopeoRepush.toFixed(3)} s (for reference)`);
} finally {
  await Promise.all(regs.map((r) => r.stop()));
  rmSync(tmp, { recursive: true, force: true });
}
