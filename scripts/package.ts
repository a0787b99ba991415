// `npm run package` (after `npm ci`): the release artifacts, offline and deterministic (docs/release.md,
// docs/decisions.md D-255):
// - dist/release/lifecycle-v<version>+linux.x86-64.tgz (+ .sha256): lifecycle.toml at the root, then
//   lifecycle/ with dist/lifecycle's files, uid/gid 0, normalized mtimes (the reference's packager layout);
// - dist/release/lifecycle-image/: an OCI image layout of the lifecycle image (ref name = the version),
//   built with src/image and src/layer: a base layer with only what the lifecycle needs, then the
//   lifecycle under /cnb/lifecycle in the last layer, WorkingDir=/layers and the reference's labels.
// Usage: node --import tsx scripts/package.ts [--from <lifecycle dir>] [--out <release dir>]
//   (default: build dist/lifecycle first and write dist/release; with --from, package that dir as it is)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImage, layout, NORMALIZED_CREATED } from '../src/image/index.ts';
import { type LayerEntry, layerFromDir, walkDir, writeLayer } from '../src/layer/index.ts';
import { LIFECYCLE_VERSION, lifecycleImageLabels, lifecycleToml } from '../src/platform/index.ts';
import { checkInstalledMatchesLock } from './lib/lock.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const from = option('--from');
const dist = resolve(from ?? join(root, 'dist', 'lifecycle'));
const release = resolve(option('--out') ?? join(root, 'dist', 'release'));
const tmp = `${release}.tmp-${process.pid}`;
/**
 * Compression of the release artifacts: gzip level 9 (size matters more than time here) in independent
 * 1 MiB blocks on two threads (the bytes depend on level and block size only, src/layer/parallel-gzip.ts).
 */
const GZIP = { gzipLevel: 9, parallel: { blockSize: 1 << 20, threads: 2 } } as const;

/** The release tarball's name (the reference's `lifecycle-v<version>+<os>.<arch>.tgz`). */
export function tarballName(version: string): string {
  return `lifecycle-v${version}+linux.x86-64.tgz`;
}

const file = (name: string, content: string, mode = 0o644): LayerEntry => ({
  name,
  type: 'file',
  mode,
  uid: 0,
  gid: 0,
  size: Buffer.byteLength(content),
  content,
});
const dir = (name: string, mode = 0o755): LayerEntry => ({ name, type: 'dir', mode, uid: 0, gid: 0 });

/** Entries of dist/lifecycle under `prefix` (`lifecycle` in the tarball, `/cnb/lifecycle` in the image). */
function lifecycleEntries(prefix: string): AsyncIterable<LayerEntry> {
  return walkDir({ dir: dist, prefix, uid: 0, gid: 0 });
}

async function* tarballEntries(): AsyncGenerator<LayerEntry> {
  yield file('lifecycle.toml', lifecycleToml());
  yield* lifecycleEntries('lifecycle');
}

/** The lifecycle layer: the tarball's content under /cnb (as the reference's tools/image lays it). */
async function* lifecycleLayerEntries(): AsyncGenerator<LayerEntry> {
  yield dir('/cnb');
  yield file('/cnb/lifecycle.toml', lifecycleToml());
  yield* lifecycleEntries('/cnb/lifecycle');
}

/**
 * The base layer: what the lifecycle needs of an image and nothing else (the reference uses
 * distroless/static): root in /etc/passwd and /etc/group, name-service order, and a /tmp.
 */
function baseLayerEntries(): LayerEntry[] {
  return [
    dir('/etc'),
    file('/etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    file('/etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n'),
    file(
      '/etc/passwd',
      'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    ),
    dir('/root', 0o700),
    dir('/tmp', 0o1777),
  ];
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

async function lifecycleImage(out: string): Promise<string> {
  const blobs = join(out, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const base = await layerFromDirEntries(baseLayerEntries(), join(out, 'base.tmp'));
  const lifecycle = await layerFromDirEntries(lifecycleLayerEntries(), join(out, 'lifecycle.tmp'));
  const image = buildImage({
    config: {
      architecture: 'amd64',
      os: 'linux',
      created: NORMALIZED_CREATED,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Labels: lifecycleImageLabels(),
        User: 'root',
        WorkingDir: '/layers',
      },
      history: [
        { created: NORMALIZED_CREATED, created_by: 'cnb-lifecycle-ts: base (/etc/passwd, /etc/group, /tmp)' },
        { created: NORMALIZED_CREATED, created_by: `cnb-lifecycle-ts: /cnb/lifecycle ${LIFECYCLE_VERSION}` },
      ],
    },
    layers: [base, lifecycle],
  });
  const written = await layout.write(out, image, { refName: LIFECYCLE_VERSION });
  rmSync(join(out, 'base.tmp'), { force: true });
  rmSync(join(out, 'lifecycle.tmp'), { force: true });
  return written.digest;
}

/** A gzip layer from explicit entries, written to `path`. */
function layerFromDirEntries(entries: Iterable<LayerEntry> | AsyncIterable<LayerEntry>, path: string) {
  return layerFromDir(entries, path, GZIP);
}

async function main(): Promise<void> {
  checkInstalledMatchesLock(root);
  if (from === undefined)
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
  if (!existsSync(join(dist, 'lifecycle')))
    throw new Error(`package: ${dist} is not built; run 'npm run build' first`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  mkdirSync(dirname(release), { recursive: true });
  const name = tarballName(LIFECYCLE_VERSION);
  const tgz = join(tmp, name);
  await writeLayer(tarballEntries(), tgz, GZIP);
  const sum = await sha256File(tgz);
  writeFileSync(`${tgz}.sha256`, `${sum}  ${name}\n`);
  const digest = await lifecycleImage(join(tmp, 'lifecycle-image'));
  rmSync(`${release}.old`, { recursive: true, force: true });
  if (existsSync(release)) renameSync(release, `${release}.old`);
  renameSync(tmp, release);
  rmSync(`${release}.old`, { recursive: true, force: true });
  const size = readFileSync(join(release, name)).byteLength;
  console.log(`packaged ${join(release, name)} (${size} bytes, sha256 ${sum})`);
  console.log(`packaged ${join(release, 'lifecycle-image')} (${LIFECYCLE_VERSION}, ${digest})`);
}

await main().catch((e: unknown) => {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
