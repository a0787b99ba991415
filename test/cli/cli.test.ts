import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lifecycleToml } from '../../src/platform/index.ts';
import { LIFECYCLE_DIR, runPhase } from '../support/lifecycle.ts';

const API = { CNB_PLATFORM_API: '0.12' };

describe('dist/lifecycle front door (platform.md "Platform API Compatibility", "Usage")', () => {
  it('exits 11 when CNB_PLATFORM_API is unset, saying how to fix it (S-9)', async () => {
    const r = await runPhase('detector', []);
    assert.equal(r.code, 11);
    assert.match(
      r.stderr,
      /CNB_PLATFORM_API is not set; please set 'CNB_PLATFORM_API'.*supported: 0\.7, 0\.8, 0\.9, 0\.10, 0\.11, 0\.12, 0\.13, 0\.14, 0\.15/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('exits 11 for an unsupported Platform API and lists the supported ones', async () => {
    for (const v of ['0.6', '0.16', '1.0', 'abc']) {
      const r = await runPhase('builder', [], { CNB_PLATFORM_API: v });
      assert.equal(r.code, 11, v);
      assert.match(
        r.stderr,
        new RegExp(
          `'${v.replace('.', '\\.')}' is incompatible.*supported Platform APIs: 0\\.7, 0\\.8, .*0\\.15`,
        ),
      );
    }
  });

  it('checks the Platform API before parsing flags', async () => {
    const r = await runPhase('detector', ['-no-such-flag'], { CNB_PLATFORM_API: '0.3' });
    assert.equal(r.code, 11);
  });

  it('exits 2 with the Go flag message for an unknown flag (docs/reference-behaviour.md §0.4)', async () => {
    const r = await runPhase('builder', ['-daemon'], API);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ERROR: flag provided but not defined: -daemon/m);
  });

  it('exits 3 when a phase gets arguments it does not take', async () => {
    const r = await runPhase('detector', ['some-image'], API);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /detector takes no arguments/);
  });

  it('prints usage with env vars and defaults for -help, exit 0', async () => {
    const r = await runPhase('exporter', ['-help'], API);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: exporter \[flags\] <image>/);
    assert.match(r.stdout, /-report <report>\n.*env CNB_REPORT_PATH; default <layers>\/report.toml/);
  });

  it('prints the version for -version (docs/reference-behaviour.md §0.1)', async () => {
    const pkg = JSON.parse(readFileSync(join(LIFECYCLE_DIR, '..', '..', 'package.json'), 'utf8'));
    const bare = await runPhase('lifecycle', ['-version']);
    assert.equal(bare.code, 0, 'lifecycle -version needs no Platform API');
    assert.equal(bare.stdout.trim(), pkg.version);
    const mixed = await runPhase('detector', ['-app=/x', '-version'], API);
    assert.equal(mixed.code, 0);
    assert.equal(mixed.stdout.trim(), pkg.version);
    const noApi = await runPhase('detector', ['-version']);
    assert.equal(noApi.code, 11, 'a phase checks the Platform API first');
  });

  it('accepts the reference subcommand names and -no-color', async () => {
    const r = await runPhase('lifecycle', ['detect', '-no-color', 'x'], API);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /detector takes no arguments/);
  });

  it('`lifecycle <phase>` runs the phase; an unknown phase exits 3', async () => {
    const r = await runPhase('lifecycle', ['detector', 'x'], API);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /detector takes no arguments/);
    const u = await runPhase('lifecycle', ['packer'], API);
    assert.equal(u.code, 3);
    assert.match(u.stderr, /failed to recognize phase: packer.*analyzer, detector/);
  });

  it('starts the phases that move layers with a 64 MiB initial old generation, the others without (D-432), all with the malloc tunables (D-437)', async () => {
    /** `sub` is the subcommand of `lifecycle`, before the flags. */
    const line = async (phase: string, args: string[], sub: string[] = []) => {
      const flags = ['-log-level', 'debug', ...(phase === 'rebaser' ? [] : ['-layers', '/nonexistent'])];
      const r = await runPhase(phase, [...sub, ...flags, ...args], API);
      const m = /^Running \w+ \(lifecycle [^,]+, Platform API [\d.]+(.*)\)$/m.exec(r.stdout + r.stderr);
      assert.ok(m, `${phase}: ${r.stdout}${r.stderr}`);
      return m[1];
    };
    const malloc =
      ', GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864';
    const flag = `, node --initial-old-space-size=64${malloc}`;
    assert.equal(await line('exporter', ['x/y:z']), flag);
    assert.equal(await line('restorer', []), flag);
    assert.equal(await line('lifecycle', ['x/y:z'], ['export']), flag);
    assert.equal(await line('rebaser', ['x/y:z']), malloc, 'the rebaser moves manifests only');
  });

  it('fails an experimental input unless CNB_EXPERIMENTAL_MODE allows it (S-10)', async () => {
    const args = ['-layout', '-layout-dir', '/tmp/nowhere', 'app:latest'];
    const unset = await runPhase('analyzer', args, API);
    assert.equal(unset.code, 1);
    assert.match(
      unset.stderr,
      /Platform requested experimental feature 'export to OCI layout format'; experimental features are disabled by an unset CNB_EXPERIMENTAL_MODE/,
    );
    const error = await runPhase('analyzer', args, { ...API, CNB_EXPERIMENTAL_MODE: 'error' });
    assert.equal(error.code, 1);
    const warn = await runPhase('analyzer', ['-layout-dir', '/nonexistent', ...args], {
      ...API,
      CNB_EXPERIMENTAL_MODE: 'warn',
    });
    assert.match(
      warn.stderr,
      /^Warning: Platform requested experimental feature 'export to OCI layout format'/m,
    );
    for (const quiet of ['silent', 'quiet']) {
      const q = await runPhase('analyzer', args, { ...API, CNB_EXPERIMENTAL_MODE: quiet });
      assert.doesNotMatch(q.stderr, /experimental feature/);
    }
  });

  it('writes lifecycle.toml from the descriptor (src/platform/descriptor.ts, D-253)', () => {
    assert.equal(readFileSync(join(LIFECYCLE_DIR, 'lifecycle.toml'), 'utf8'), lifecycleToml());
  });
});
