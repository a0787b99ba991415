import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { parse } from 'smol-toml';
import tar from 'tar-stream';
import { layout } from '../../src/image/index.ts';
import { NORMALIZED_MTIME } from '../../src/layer/index.ts';
import {
  LIFECYCLE_VERSION,
  lifecycleImageLabels,
  lifecycleToml,
  PHASES,
  SUPPORTED_PLATFORM_APIS,
} from '../../src/platform/index.ts';
import { type Dockerd, startDockerd } from '../support/docker.ts';
import { lifecycleSnapshot, removeLifecycleSnapshot } from '../support/lifecycle.ts';
import { type RegistryHandle, startRegistry } from '../support/registry.ts';
import { analyzeInContainer, dockerRun } from './containers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TGZ = `lifecycle-v${LIFECYCLE_VERSION}+linux.x86-64.tgz`;

interface Entry {
  readonly name: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly linkname: string | null;
  readonly content: Buffer;
}

async function tarEntries(stream: NodeJS.ReadableStream): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = tar.extract();
  ex.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      out.push({
        name: h.name,
        type: h.type ?? 'file',
        mode: h.mode ?? 0,
        uid: h.uid ?? -1,
        gid: h.gid ?? -1,
        mtime: (h.mtime?.getTime() ?? 0) / 1000,
        linkname: h.linkname ?? null,
        content: Buffer.concat(chunks),
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return out;
}

/** Every file under `dir` with its bytes' sha256, by relative path. */
async function digests(
  dir: string,
  base = dir,
  out: Record<string, string> = {},
): Promise<Record<string, string>> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await digests(p, base, out);
    else
      out[relative(base, p)] = createHash('sha256')
        .update(await readFile(p))
        .digest('hex');
  }
  return out;
}

async function packageInto(from: string, out: string): Promise<void> {
  await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'package.ts'), '--from', from, '--out', out],
    {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    },
  );
}

/**
 * Release artifacts (docs/release.md): `scripts/package.ts` run twice on the same dist gives the same
 * bytes; the tarball is in the reference packager's layout; the lifecycle image layout reads back with
 * skopeo and runs in the real Docker engine.
 */
describe('npm run package (docs/release.md; D-256)', () => {
  let work: string;
  let a: string;
  let b: string;
  let dockerd: Dockerd;
  let registry: RegistryHandle;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'release-'));
    const dist = await lifecycleSnapshot();
    a = join(work, 'a');
    b = join(work, 'b');
    await packageInto(dist, a);
    await packageInto(dist, b);
    [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  });
  after(async () => {
    await Promise.all([dockerd?.stop(), registry?.stop()]);
    await rm(work, { recursive: true, force: true });
    await removeLifecycleSnapshot();
  });

  it('is deterministic: packaging twice gives the same bytes and digests', async () => {
    const da = await digests(a);
    assert.ok(Object.keys(da).length >= 6, JSON.stringify(da));
    assert.deepEqual(await digests(b), da);
  });

  it('writes the .sha256 of the tarball as sha256sum checks it', async () => {
    const { stdout } = await run('sha256sum', ['-c', `${TGZ}.sha256`], { cwd: a });
    assert.equal(stdout.trim(), `${TGZ}: OK`);
  });

  it("lays the tarball out as the reference's packager: lifecycle.toml, then lifecycle/, owned by 0:0, normalized mtimes", async () => {
    const entries = await tarEntries(createReadStream(join(a, TGZ)).pipe(createGunzip()));
    assert.equal(entries[0]?.name, 'lifecycle.toml');
    assert.equal(entries[0]?.content.toString(), lifecycleToml());
    assert.equal(entries[1]?.name, 'lifecycle');
    assert.equal(entries[1]?.type, 'directory');
    for (const e of entries) {
      assert.equal(e.uid, 0, e.name);
      assert.equal(e.gid, 0, e.name);
      assert.equal(e.mtime, NORMALIZED_MTIME, e.name);
      // Flat: `pack builder create` keeps only the entries one level under lifecycle/ (pack's
      // internal/builder embedLifecycleTar matches `^[^/]+/([^/]+)$`), so nothing may sit deeper (D-259).
      assert.match(e.name, /^(lifecycle\.toml|lifecycle|lifecycle\/[^/]+)$/, e.name);
      assert.notEqual(e.type === 'directory' && e.name !== 'lifecycle', true, `no directory ${e.name}`);
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    // pack (internal/builder/lifecycle.go) requires these one level under lifecycle/
    for (const f of ['detector', 'restorer', 'analyzer', 'builder', 'exporter', 'launcher', 'creator'])
      assert.ok(byName.has(`lifecycle/${f}`), f);
    for (const phase of PHASES) {
      const e = byName.get(`lifecycle/${phase}`);
      assert.equal(e?.type, 'symlink', phase);
      assert.equal(e?.linkname, 'lifecycle', phase);
    }
    assert.equal(byName.get('lifecycle/lifecycle')?.mode, 0o755);
    const toml = parse(entries[0]?.content.toString() ?? '') as {
      apis: { platform: { supported: string[]; deprecated: string[] }; buildpack: { supported: string[] } };
      api: { platform: string; buildpack: string };
      lifecycle: { version: string; 'sbom-formats': string[] };
    };
    assert.deepEqual(toml.apis.platform.supported, [...SUPPORTED_PLATFORM_APIS]);
    assert.equal(toml.lifecycle.version, LIFECYCLE_VERSION);
    assert.ok(toml.lifecycle['sbom-formats'].includes('application/vnd.cyclonedx+json'));
    const sbom = JSON.parse(byName.get('lifecycle/lifecycle.sbom.cdx.json')?.content.toString() ?? '{}');
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.equal(sbom.metadata.component.version, LIFECYCLE_VERSION);
    const names = sbom.components.map((c: { name: string }) => c.name);
    for (const n of ['node', 'libc6', 'libstdc++6', 'libgcc-s1', 'smol-toml', 'tar-stream'])
      assert.ok(names.includes(n), n);
    const node = sbom.components.find((c: { name: string }) => c.name === 'node');
    const shipped = byName.get('lifecycle/node')?.content ?? Buffer.alloc(0);
    assert.equal(node.hashes[0].content, createHash('sha256').update(shipped).digest('hex'));
  });

  it('writes the lifecycle image layout: ref name = version, labels, WorkingDir, the lifecycle in the last layer', async () => {
    const ref = `oci:${join(a, 'lifecycle-image')}:${LIFECYCLE_VERSION}`;
    const inspected = JSON.parse((await run('skopeo', ['inspect', ref])).stdout);
    assert.deepEqual(inspected.Labels, lifecycleImageLabels());
    assert.equal(inspected.Architecture, 'amd64');
    assert.equal(inspected.Os, 'linux');
    const config = JSON.parse((await run('skopeo', ['inspect', '--config', ref])).stdout);
    assert.equal(config.config.WorkingDir, '/layers');
    const img = await layout.image(join(a, 'lifecycle-image'));
    const last = img.layers[img.layers.length - 1];
    assert.ok(last);
    const entries = await tarEntries(await last.uncompressed());
    const names = entries.map((e) => e.name);
    assert.deepEqual(names.slice(0, 3), ['/cnb', '/cnb/lifecycle.toml', '/cnb/lifecycle']);
    for (const f of ['/cnb/lifecycle/lifecycle', '/cnb/lifecycle/launcher', '/cnb/lifecycle/node'])
      assert.ok(names.includes(f), f);
    // the base holds no lifecycle file; the lifecycle layer holds nothing else
    const base = await tarEntries(await (img.layers[0] ?? last).uncompressed());
    assert.ok(
      base.every((e) => !e.name.startsWith('/cnb')),
      JSON.stringify(base.map((e) => e.name)),
    );
    assert.ok(names.every((e) => e.startsWith('/cnb')));
  });

  it('loads into the Docker engine and runs there: -version, and the analyzer against a registry', async () => {
    const tag = `lifecycle:${LIFECYCLE_VERSION}`;
    await run('skopeo', [
      'copy',
      '--dest-daemon-host',
      dockerd.host,
      `oci:${join(a, 'lifecycle-image')}:${LIFECYCLE_VERSION}`,
      `docker-daemon:${tag}`,
    ]);
    const v = await dockerd.docker([
      'run',
      '--rm',
      '--network',
      'none',
      tag,
      '/cnb/lifecycle/lifecycle',
      '-version',
    ]);
    assert.equal(v.stdout.trim(), LIFECYCLE_VERSION);
    const wd = await dockerd.docker(['inspect', '--format', '{{.Config.WorkingDir}}', tag]);
    assert.equal(wd.stdout.trim(), '/layers');
    // no shell: the image has nothing but the lifecycle and its base files
    const sh = await dockerRun(dockerd, ['--network', 'none', tag, '/bin/sh', '-c', 'true']);
    assert.notEqual(sh.code, 0);
    // pack's untrusted flow runs the analyzer here, as root, against the registry
    const { run: r, analyzed, runDigest } = await analyzeInContainer(dockerd, registry, tag, work);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(analyzed?.['run-image']?.['reference'], `${registry.host}/run/base@${runDigest}`);
  });
});
