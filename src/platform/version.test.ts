import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LIFECYCLE_VERSION } from './version.ts';

/** pack's comparison (Masterminds semver): pre-release sorts below its release, above lower releases. */
function semverAtLeast(v: string, min: string): boolean {
  const parse = (s: string) => {
    const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
    if (!m) throw new Error(`not a semver: ${s}`);
    return { n: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] };
  };
  const a = parse(v);
  const b = parse(min);
  for (let i = 0; i < 3; i++) if ((a.n[i] ?? 0) !== (b.n[i] ?? 0)) return (a.n[i] ?? 0) > (b.n[i] ?? 0);
  return a.pre === undefined || b.pre !== undefined;
}

describe('LIFECYCLE_VERSION (D-252)', () => {
  it("is a semver that passes pack's gates (creator 0.7.4, lifecycle image 0.7.5, extensions 0.19.0)", () => {
    for (const gate of ['0.7.4', '0.7.5', '0.19.0']) assert.ok(semverAtLeast(LIFECYCLE_VERSION, gate), gate);
  });

  it("carries a pre-release tag, so it is not taken for one of the Go lifecycle's releases", () => {
    assert.match(LIFECYCLE_VERSION, /^\d+\.\d+\.\d+-ts(\.\d+)?$/);
  });

  it("is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    assert.equal(pkg.version, LIFECYCLE_VERSION);
  });
});
