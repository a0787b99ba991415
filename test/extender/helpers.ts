import { execFile } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { LIFECYCLE_DIR } from '../support/lifecycle.ts';

const run = promisify(execFile);

/** Where the node runtime goes in the container: under /cnb/lifecycle, which snapshots leave out. */
export const NODE = '/cnb/lifecycle/.node/node';

/**
 * An uncompressed tar (for `copyIn`) with dist/lifecycle at /cnb/lifecycle plus this machine's node and
 * the shared libraries it links (run through their own loader, so the image's libc does not matter),
 * and `extra` files (`path → [content, mode]`). Until the self-contained lifecycle lands, this is how the
 * Node lifecycle runs in a build or run image.
 */
export async function lifecycleTar(
  extra: Readonly<Record<string, readonly [string, number]>> = {},
): Promise<Buffer> {
  const stage = await mkdtemp(join(tmpdir(), 'extender-stage-'));
  await chmod(stage, 0o755);
  try {
    const lc = join(stage, 'cnb', 'lifecycle');
    await mkdir(join(lc, '.node', 'lib'), { recursive: true });
    await cp(LIFECYCLE_DIR, lc, { recursive: true });
    const { stdout } = await run('ldd', [process.execPath]);
    let loader = '';
    for (const line of stdout.split('\n')) {
      const m = /(\/\S+)\s+\(0x/.exec(line.replace(/^.*=>\s*/, ''));
      if (!m?.[1]) continue;
      if (/ld-linux/.test(m[1])) loader = m[1];
      await copyFile(m[1], join(lc, '.node', 'lib', basename(m[1])));
    }
    await copyFile(process.execPath, join(lc, '.node', 'node.bin'));
    await writeFile(
      join(lc, '.node', 'node'),
      `#!/bin/sh\nd=/cnb/lifecycle/.node\nexec $d/lib/${basename(loader)} --library-path $d/lib $d/node.bin "$@"\n`,
    );
    await chmod(join(lc, '.node', 'node'), 0o755);
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
