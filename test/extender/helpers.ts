import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LIFECYCLE_DIR } from '../support/lifecycle.ts';

const run = promisify(execFile);

/**
 * An uncompressed tar (for `copyIn`) with the self-contained dist/lifecycle at /cnb/lifecycle (it needs
 * nothing of the image, D-250) and `extra` files (`path → [content, mode]`).
 */
export async function lifecycleTar(
  extra: Readonly<Record<string, readonly [string, number]>> = {},
): Promise<Buffer> {
  const stage = await mkdtemp(join(tmpdir(), 'extender-stage-'));
  await chmod(stage, 0o755);
  try {
    const lc = join(stage, 'cnb', 'lifecycle');
    await mkdir(lc, { recursive: true });
    await cp(LIFECYCLE_DIR, lc, { recursive: true, verbatimSymlinks: true });
    for (const [path, [content, mode]] of Object.entries(extra)) {
      await mkdir(join(stage, path, '..'), { recursive: true });
      await writeFile(join(stage, path), content);
      await chmod(join(stage, path), mode);
    }
    const { stdout: tar } = await run('tar', ['-C', stage, '--owner=0', '--group=0', '-cf', '-', '.'], {
      encoding: 'buffer',
      maxBuffer: 1 << 30,
    });
    return tar as unknown as Buffer;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** A `tar -tv`-like listing of a tar (type, mode, owner, size, name, link) without times, sorted. */
export async function tarListing(tar: Buffer): Promise<string[]> {
  const { extract } = await import('tar-stream');
  const out: string[] = [];
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      const name = h.name.replace(/^\.?\//, '').replace(/\/$/, '');
      const size = h.type === 'file' ? h.size : 0;
      out.push(
        `${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${size} ${name}${h.linkname ? ` -> ${h.linkname}` : ''}`,
      );
      s.resume();
      s.on('end', next);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(tar);
  });
  return out.sort();
}
