// Launcher inputs that are not regular files (issue 9 item 6; D-233): metadata.toml, <layer>.toml, env
// files and profile scripts that are a FIFO, a device or a symlink to one, and oversized inputs. The
// launcher never blocks on them nor reads them into memory: it exits in the 80s (platform.md "launcher"
// Outputs) naming the file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fixtureMaker, script } from './support.ts';

const fixture = fixtureMaker();

type Kind = 'fifo' | 'dev-zero' | 'symlink-to-dev-zero';
const KINDS: Kind[] = ['fifo', 'dev-zero', 'symlink-to-dev-zero'];

/** Puts a special file of `kind` at `path`. */
function special(path: string, kind: Kind): void {
  mkdirSync(dirname(path), { recursive: true });
  if (kind === 'fifo') execFileSync('mkfifo', [path]);
  else if (kind === 'symlink-to-dev-zero') symlinkSync('/dev/zero', path);
  else execFileSync('mknod', [path, 'c', '1', '5']); // the /dev/zero device itself
}

const BP = [{ id: 'bp', api: '0.9' }];
const NOT_REGULAR = /not a regular file/;

describe('launcher: inputs that are not regular files exit in the 80s naming the file', () => {
  for (const kind of KINDS) {
    it(`metadata.toml as a ${kind}: exit 80`, () => {
      const f = fixture();
      const path = join(f.layers, 'config', 'metadata.toml');
      special(path, kind);
      const r = f.run(['--', 'true']);
      assert.equal(r.status, 80, r.stderr);
      assert.match(r.stderr, new RegExp(`failed to read metadata ${path}: not a regular file`));
    });

    it(`an env file as a ${kind}: exit 82`, () => {
      const f = fixture().metadata(BP, []);
      const dir = f.layer('bp', 'l', { 'env/OK.default': 'fine' });
      special(join(dir, 'env', 'BAD.override'), kind);
      const r = f.run(['--', 'true']);
      assert.equal(r.status, 82, r.stderr);
      assert.match(r.stderr, new RegExp(`modify env: failed to read ${join(dir, 'env', 'BAD.override')}`));
      assert.match(r.stderr, NOT_REGULAR);
    });

    it(`a .delim file and a <layer>.toml as a ${kind}: exit 82`, () => {
      const f = fixture().metadata(BP, []);
      const dir = f.layer('bp', 'l', { 'env/PATHS.append': '/x' });
      special(join(dir, 'env', 'PATHS.delim'), kind);
      const r = f.run(['--', 'true'], { env: { PATHS: '/a' } });
      assert.equal(r.status, 82, r.stderr);
      assert.match(r.stderr, new RegExp(`${join(dir, 'env', 'PATHS.delim')}: not a regular file`));
      const g = fixture().metadata(BP, []);
      g.layer('bp', 'm', {}, null);
      special(join(g.layers, 'bp', 'm.toml'), kind);
      const s = g.run(['--', 'true']);
      assert.equal(s.status, 82, s.stderr);
      assert.match(
        s.stderr,
        new RegExp(`failed to read layer metadata ${join(g.layers, 'bp', 'm.toml')}: not a regular file`),
      );
    });

    it(`a profile.d script or <app>/.profile as a ${kind}: exit 82, the shell never sources it`, () => {
      const f = fixture().metadata(BP, []);
      const dir = f.layer('bp', 'l', { 'profile.d/1.sh': 'true\n' });
      special(join(dir, 'profile.d', '2.sh'), kind);
      const r = f.run(['echo', 'never']);
      assert.equal(r.status, 82, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`failed to read profile script ${join(dir, 'profile.d', '2.sh')}: not a regular file`),
      );
      assert.equal(r.stdout, '');
      const g = fixture().metadata(BP, []);
      special(join(g.app, '.profile'), kind);
      const s = g.run(['echo', 'never']);
      assert.equal(s.status, 82, s.stderr);
      assert.match(s.stderr, new RegExp(`${join(g.app, '.profile')}: not a regular file`));
    });
  }

  it('inputs over 16 MiB are refused, not read into memory', () => {
    const f = fixture();
    const path = join(f.layers, 'config', 'metadata.toml');
    writeFileSync(path, '');
    truncateSync(path, (16 << 20) + 1);
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 80, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`failed to read metadata ${path}: larger than the launcher's 16 MiB limit`),
    );
    const g = fixture().metadata(BP, []);
    const dir = g.layer('bp', 'l', { 'env/BIG.override': '' });
    truncateSync(join(dir, 'env', 'BIG.override'), (16 << 20) + 1);
    const s = g.run(['--', 'true']);
    assert.equal(s.status, 82, s.stderr);
    assert.match(s.stderr, /BIG\.override: larger than the launcher's 16 MiB limit/);
  });

  it('an exec.d program writing without end to fd 3 is stopped at 16 MiB: exit 82 naming it', () => {
    const f = fixture().metadata(BP, []);
    const dir = f.layer('bp', 'l', { 'exec.d/flood': script(`exec yes 'A = "x"' >&3`) });
    const r = f.run(['--', 'true']);
    assert.equal(r.status, 82, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`exec.d: ${join(dir, 'exec.d', 'flood')} wrote more than the launcher's 16 MiB limit`),
    );
  });

  it('an exec.d program is waited for after it closes fd 3, as the reference does', () => {
    const f = fixture().metadata(BP, []);
    f.layer('bp', 'l', {
      'exec.d/late': script(`printf 'LATE = "set"' >&3\nexec 3>&-\nsleep 1\nprintf 'done\\n' >&2`),
    });
    const r = f.run(['--', 'sh', '-c', 'echo "$LATE"']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'set\n');
    assert.match(r.stderr, /done/, 'the program ran to its end before the process started');
  });
});
