// Builds dist/lifecycle/ (a self-contained /cnb/lifecycle, docs/decisions.md D-250) and dist/lib/ (the
// library API, with its type declarations):
// - dist/lifecycle/lifecycle: a static program that starts the bundled runtime (runtime/lifecycle.c)
// - dist/lifecycle/<phase>: relative symlinks to `lifecycle`, which dispatches on its own name
// - dist/lifecycle/launcher: the static C launcher (scripts/build-launcher.sh)
// - dist/lifecycle/lifecycle.toml: the descriptor (src/platform/descriptor.ts)
// - dist/lifecycle/lifecycle.sbom.cdx.json: CycloneDX SBOM of what is shipped (scripts/lib/sbom.mjs)
// - dist/lifecycle/lib/: the pinned Node runtime, its loader and libraries, and lifecycle.mjs (the
//   whole TypeScript lifecycle bundled into one file)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { buildRuntime } from './lib/runtime.mjs';
import { lifecycleSbom } from './lib/sbom.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Built into a temp dir and renamed into place, so a concurrent test run never sees a half-built dist.
const final = join(root, 'dist', 'lifecycle');
const out = join(root, 'dist', `.lifecycle-${process.pid}`);
const platform = await tsImport('../src/platform/index.ts', import.meta.url);
const version = platform.LIFECYCLE_VERSION;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (pkg.version !== version)
  throw new Error(
    `build: package.json version ${pkg.version} differs from LIFECYCLE_VERSION ${version} (src/platform/version.ts)`,
  );

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (tar-stream & co.) call require(); give them one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  define: {
    LIFECYCLE_SOURCE_REPOSITORY: JSON.stringify(sourceRepository()),
    LIFECYCLE_SOURCE_COMMIT: JSON.stringify(sourceCommit()),
  },
};

/**
 * `launcher.source.git` of the images this lifecycle exports (docs/decisions.md D-276): the package's
 * `repository` (its URL, or the package name when it has none), and the commit checked out here
 * (`git rev-parse HEAD`), or empty when this directory is not the top of a git checkout (an unpacked
 * source tarball inside some other repository must not report that repository's commit).
 */
function sourceRepository() {
  const r = pkg.repository;
  return (typeof r === 'string' ? r : r?.url) || pkg.name;
}
function sourceCommit() {
  const git = (...args) =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(root)) return '';
    return git('rev-parse', 'HEAD');
  } catch {
    return '';
  }
}

// Split so that a phase loads only the code it runs (`-version` loads none of the phases).
await build({
  ...common,
  entryPoints: { lifecycle: join(root, 'src/cli/entry.ts') },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  // Flat (D-259): the chunks sit beside lifecycle.mjs.
  chunkNames: 'lifecycle-[name]-[hash]',
});
await build({
  ...common,
  entryPoints: [join(root, 'src/index.ts')],
  outfile: join(root, 'dist/lib/index.js'),
});
// Type declarations for the library (package.json "types"): dist/lib/index.d.ts and the modules it names.
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--emitDeclarationOnly'],
  {
    stdio: 'inherit',
    cwd: root,
  },
);

const shipped = buildRuntime(root, out);
// The phases dispatch on their own name, as the reference's symlinks do.
for (const phase of platform.PHASES) symlinkSync('lifecycle', join(out, phase));
writeFileSync(join(out, 'lifecycle.toml'), platform.lifecycleToml());

// The launcher is C (DESIGN.md "Why the launcher is C").
execFileSync('bash', [join(root, 'scripts/build-launcher.sh'), join(out, 'launcher')], {
  stdio: 'inherit',
  cwd: root,
});
writeFileSync(join(out, 'lifecycle.sbom.cdx.json'), lifecycleSbom(root, out, version, shipped));
chmodSync(out, 0o755);

rmSync(`${final}.old`, { recursive: true, force: true });
if (existsSync(final)) renameSync(final, `${final}.old`);
renameSync(out, final);
rmSync(`${final}.old`, { recursive: true, force: true });
console.log(`built ${final} (lifecycle ${version}, node ${shipped.runtime.version})`);
