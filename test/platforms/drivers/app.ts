import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The app source as platforms hand it over: a tar of `src` whose entries are named `<at>/…` and owned by
 * `uid:gid` (pack's `CopyDir` to the builder's user), ready for `docker cp - <ctr>:/`.
 */
export async function appTar(src: string, at: string, uid: number, gid: number): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    [
      '--sort=name',
      `--owner=${uid}`,
      `--group=${gid}`,
      '--numeric-owner',
      '--mtime=@315532801',
      `--transform=s,^\\.,${at.replace(/^\/+/, '')},`,
      '-C',
      src,
      '-cf',
      '-',
      '.',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** A tar of one file at `path` (absolute inside the container), root-owned 0644. */
export async function fileTar(path: string, content: string): Promise<Buffer> {
  const { pack } = await import('tar-stream');
  const p = pack();
  p.entry(
    { name: path.replace(/^\/+/, ''), mode: 0o644, uid: 0, gid: 0, mtime: new Date(315532801000) },
    content,
  );
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
