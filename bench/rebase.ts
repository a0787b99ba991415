// Rebase benchmark (issue: "Rebaser: constant-time rebase"): rebase time of a 50 MiB and a 2 GiB app
// image on the local registry, and the bytes the rebase adds to the registry's storage.
// Run: npm run build && node --import tsx bench/rebase.ts [sizesMiB...]   (default: 50 2048)
// Prints, per size: wall time of `dist/lifecycle/rebaser` (a whole process, Node start-up included),
// blob uploads, bytes added to registry storage; then the ratio of the largest to the smallest time.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from '../src/image/index.ts';
import { layerFromDir } from '../src/layer/index.ts';
import { baseImage, cleanupFixtures } from '../test/layout/fixtures.ts';
import { appImage, push } from '../test/rebaser/fixtures.ts';
import { startRegistry } from '../test/support/registry.ts';

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

/** A layer of `mib` MiB of incompressible, deterministic bytes. */
async function bigLayer(mib: number, work: string) {
  const dir = join(work, `data-${mib}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'workspace'), { recursive: true });
  const fh = await open(join(dir, 'workspace', 'blob.bin'), 'w');
  let block = createHash('sha512').update(String(mib)).digest();
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) {
    for (let o = 0; o < chunk.length; o += 64) {
      block = createHash('sha512').update(block).digest();
      block.copy(chunk, o);
    }
    await fh.write(chunk);
  }
  await fh.close();
  return layerFromDir({ dir, prefix: '', uid: 0, gid: 0 }, join(work, `layer-${mib}.tgz`), { gzipLevel: 1 });
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const reg = await startRegistry();
const work = await mkdtemp(join(tmpdir(), 'bench-rebase-'));
const results: { mib: number; ms: number; uploads: number; stored: number }[] = [];
try {
  for (const mib of sizes.length > 0 ? sizes : [50, 2048]) {
    const h = reg.host;
    const v1 = await baseImage('v1');
    const v1Ref = await push(`${h}/run${mib}:latest`, v1);
    const { mutate } = await import('../src/image/index.ts');
    const app = mutate(await appImage(v1, v1Ref, `${h}/run${mib}`), {
      addLayers: [await bigLayer(mib, work)],
    });
    await remote.write(`${h}/app${mib}:1`, app);
    await push(`${h}/run${mib}:latest`, await baseImage('v2'));

    const storedBefore = await dirBytes(reg.storageDir);
    const reqBefore = reg.requests().length;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(
      'dist/lifecycle/rebaser',
      ['-report', join(work, 'report.toml'), `${h}/app${mib}:1`],
      { env: { PATH: process.env['PATH'], CNB_PLATFORM_API: '0.12' }, encoding: 'utf8' },
    );
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`rebaser failed: ${r.stderr}`);
    const uploads = reg
      .requests()
      .slice(reqBefore)
      .filter((q) => /\/blobs\/uploads\//.test(q.uri) && (q.method === 'PUT' || q.method === 'PATCH')).length;
    const stored = (await dirBytes(reg.storageDir)) - storedBefore;
    results.push({ mib, ms, uploads, stored });
    console.log(
      `app image with a ${mib} MiB layer: rebase ${ms.toFixed(0)} ms, blob uploads ${uploads}, registry storage +${stored} bytes (config + manifest + links)`,
    );
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  console.log(
    `rebase time, ${last.mib} MiB vs ${first.mib} MiB image: ${(last.ms / first.ms).toFixed(2)}x (target: equal within noise, i.e. independent of size)`,
  );
} finally {
  await reg.stop();
  await rm(work, { recursive: true, force: true });
  await cleanupFixtures();
}
