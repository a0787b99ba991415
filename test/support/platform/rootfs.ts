import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { type FileLayer, fileLayer } from '../../../src/layer/index.ts';

/**
 * A real distro rootfs for platform tests: Debian bookworm minbase made by `debootstrap`, trimmed, as one
 * gzip layer blob. It takes a minute or two to make, so it is cached between runs on one machine under
 * {@link cacheRoot}, keyed by its inputs; a fresh machine makes it (the Debian mirror must be reachable).
 */

/** What the rootfs is made from; the cache key is a hash of this. */
export const ROOTFS_INPUTS = {
  tool: 'debootstrap',
  suite: 'bookworm',
  variant: 'minbase',
  arch: 'amd64',
  include: ['ca-certificates'],
  mirror: 'http://deb.debian.org/debian',
  // bump when the trimming or the tar options change
  recipe: 3,
} as const;

/** Where cached images live: `$CNB_TEST_CACHE_DIR`, else /var/cache/cnb-lifecycle-ts. */
export function cacheRoot(): string {
  return process.env['CNB_TEST_CACHE_DIR'] ?? '/var/cache/cnb-lifecycle-ts';
}

/** The cache key of some inputs: first 16 hex digits of the sha256 of their JSON. */
export function cacheKey(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

// Paths removed after debootstrap: documentation and package caches nobody in a build container reads.
// Smaller layers make every container start faster on the vfs driver (it copies the rootfs per container).
const TRIM = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'var/cache/apt',
  'var/lib/apt/lists',
];

function runTool(cmd: string, args: readonly string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out = (out + d).slice(-4000);
    });
    child.stderr.on('data', (d) => {
      out = (out + d).slice(-4000);
    });
    child.on('error', (e) =>
      reject(
        new Error(
          `${what}: cannot run ${cmd} (${e.message}); install it with \`apt-get install -y ${cmd}\` (scripts/setup.sh does)`,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what}: ${cmd} exited ${code}. Output tail:\n${out}`)),
    );
  });
}

/** A pass-through stream that hashes and counts what flows through it. */
function hashing(): Transform & { digest(): string; bytes(): number } {
  const h = createHash('sha256');
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { digest: () => `sha256:${h.digest('hex')}`, bytes: () => n });
}

/**
 * Tars `root` (sorted names, fixed mtime, numeric owners kept, /dev and /proc contents left out) into a
 * gzip blob at `blob`; returns its digests.
 */
export async function tarDirToBlob(
  root: string,
  blob: string,
): Promise<{ diffID: string; digest: string; size: number }> {
  const top = (await readdir(root)).sort();
  const tar = spawn(
    'tar',
    [
      '--sort=name',
      '--mtime=@315532801',
      '--numeric-owner',
      '--format=pax',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '--exclude=./dev/*',
      '--exclude=dev/*',
      '--exclude=proc/*',
      '--exclude=sys/*',
      '-C',
      root,
      '-cf',
      '-',
      ...top,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  tar.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const diff = hashing();
  const comp = hashing();
  await pipeline(tar.stdout, diff, createGzip({ level: 1 }), comp, createWriteStream(blob));
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${root} exited ${code}: ${err}`);
  return { diffID: diff.digest(), digest: comp.digest(), size: comp.bytes() };
}

/**
 * Runs `make(tmpDir)` once per machine for `name`: the result (files in `<cacheRoot>/<name>/`) is kept,
 * and concurrent callers (other test processes) wait on a lock directory instead of making it twice.
 */
export async function cached(name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const root = cacheRoot();
  const final = join(root, name);
  if (existsSync(join(final, '.complete'))) return final;
  await mkdir(root, { recursive: true });
  const lock = `${final}.lock`;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(join(final, '.complete'))) return final;
      // a lock older than 20 minutes belongs to a process that died
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 20 * 60_000) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(join(final, '.complete'))) return final;
    const tmp = await mkdtemp(`${final}.tmp-`);
    try {
      await make(tmp);
      await writeFile(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return final;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The rootfs layer and its /etc/passwd and /etc/group (to extend with the images' users). */
export interface Rootfs {
  readonly layer: FileLayer;
  readonly passwd: string;
  readonly group: string;
}

let rootfs: Promise<Rootfs> | undefined;

/**
 * The Debian minbase rootfs layer (see {@link ROOTFS_INPUTS}), from the machine cache or made now with
 * `debootstrap` (needs root and the Debian mirror). Never skips: a missing tool or mirror is an error.
 */
export function debianRootfs(): Promise<Rootfs> {
  rootfs ??= (async () => {
    const name = `debian-${ROOTFS_INPUTS.suite}-${ROOTFS_INPUTS.variant}-${cacheKey(ROOTFS_INPUTS)}`;
    const dir = await cached(name, async (tmp) => {
      const target = join(tmp, 'root');
      await runTool(
        'debootstrap',
        [
          `--variant=${ROOTFS_INPUTS.variant}`,
          `--arch=${ROOTFS_INPUTS.arch}`,
          `--include=${ROOTFS_INPUTS.include.join(',')}`,
          ROOTFS_INPUTS.suite,
          target,
          ROOTFS_INPUTS.mirror,
        ],
        `making the ${ROOTFS_INPUTS.suite} ${ROOTFS_INPUTS.variant} rootfs for the platform tests`,
      );
      for (const p of TRIM) {
        await rm(join(target, p), { recursive: true, force: true });
        await mkdir(join(target, p), { recursive: true });
      }
      const d = await tarDirToBlob(target, join(tmp, 'layer.tar.gz'));
      // the users and groups of the rootfs, for the layers that add the build and run users
      await copyFile(join(target, 'etc/passwd'), join(tmp, 'passwd'));
      await copyFile(join(target, 'etc/group'), join(tmp, 'group'));
      await writeFile(join(tmp, 'layer.json'), `${JSON.stringify({ ...d, inputs: ROOTFS_INPUTS })}\n`);
      await rm(target, { recursive: true, force: true });
    });
    const d = JSON.parse(await readFile(join(dir, 'layer.json'), 'utf8')) as {
      diffID: string;
      digest: string;
      size: number;
    };
    return {
      layer: fileLayer(join(dir, 'layer.tar.gz'), d),
      passwd: await readFile(join(dir, 'passwd'), 'utf8'),
      group: await readFile(join(dir, 'group'), 'utf8'),
    };
  })();
  return rootfs;
}
