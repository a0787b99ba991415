// A CycloneDX SBOM of the built lifecycle (docs/decisions.md D-254): the npm packages bundled into
// lifecycle.mjs (the lock file's non-dev packages), the pinned Node runtime and the Debian
// libraries shipped beside it, each with the SHA-256 of the file shipped. Deterministic: no timestamp,
// the serial number is derived from the content.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** `sha512-<base64>` (npm integrity) → CycloneDX hash entries. */
function integrityHashes(integrity) {
  const out = [];
  for (const part of String(integrity ?? '').split(/\s+/)) {
    const m = /^sha(256|384|512)-(.+)$/.exec(part);
    if (m) out.push({ alg: `SHA-${m[1]}`, content: Buffer.from(m[2], 'base64').toString('hex') });
  }
  return out;
}

/** The packages bundled into the lifecycle: the lock file's packages that are not dev-only. */
export function bundledNpmPackages(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const out = [];
  for (const [path, p] of Object.entries(lock.packages ?? {})) {
    if (path === '' || p.dev || p.devOptional || p.link) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.push({ name, version: p.version, license: p.license, integrity: p.integrity });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

const npmPurl = (name, version) =>
  `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;

/**
 * The SBOM document for `dir` (dist/lifecycle): `shipped` is what scripts/lib/runtime.mjs returned.
 */
export function lifecycleSbom(root, dir, version, shipped) {
  const fileHash = (rel) => [{ alg: 'SHA-256', content: sha256(readFileSync(join(dir, rel))) }];
  const components = [];
  for (const p of bundledNpmPackages(root)) {
    components.push({
      type: 'library',
      'bom-ref': npmPurl(p.name, p.version),
      name: p.name,
      version: p.version,
      purl: npmPurl(p.name, p.version),
      ...(p.license ? { licenses: [{ license: { id: p.license } }] } : {}),
      hashes: integrityHashes(p.integrity),
      properties: [{ name: 'cnb-lifecycle-ts:shipped-in', value: 'lifecycle.mjs' }],
    });
  }
  const rt = shipped.runtime;
  components.push({
    type: 'application',
    'bom-ref': npmPurl(rt.name, rt.version),
    name: 'node',
    version: rt.version,
    purl: npmPurl(rt.name, rt.version),
    licenses: [{ license: { id: 'MIT' } }],
    hashes: fileHash(rt.file),
    properties: [
      { name: 'cnb-lifecycle-ts:shipped-in', value: rt.file },
      { name: 'cnb-lifecycle-ts:npm-integrity', value: rt.integrity },
      { name: 'cnb-lifecycle-ts:modified', value: 'stripped of symbols (strip)' },
    ],
  });
  for (const l of shipped.libraries) {
    const purl = `pkg:deb/debian/${l.package.name}@${encodeURIComponent(l.package.version)}?arch=${l.package.arch}`;
    components.push({
      type: 'library',
      'bom-ref': `${purl}#${l.file}`,
      name: l.package.name,
      version: l.package.version,
      purl,
      hashes: fileHash(l.file),
      properties: [
        { name: 'cnb-lifecycle-ts:shipped-in', value: l.file },
        { name: 'cnb-lifecycle-ts:copied-from', value: l.source },
      ],
    });
  }
  const body = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: {
      component: {
        type: 'application',
        'bom-ref': 'cnb-lifecycle-ts',
        name: 'cnb-lifecycle-ts',
        version,
        description: 'A TypeScript implementation of the Cloud Native Buildpacks lifecycle',
        hashes: fileHash('lifecycle'),
      },
    },
    components,
    dependencies: [{ ref: 'cnb-lifecycle-ts', dependsOn: components.map((c) => c['bom-ref']) }],
  };
  const h = sha256(JSON.stringify(body));
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return `${JSON.stringify({ bomFormat: body.bomFormat, specVersion: body.specVersion, serialNumber: `urn:uuid:${uuid}`, ...body }, null, 2)}\n`;
}
