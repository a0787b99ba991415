// Builds dist/lifecycle/ (usable as /cnb/lifecycle) and dist/lib/ (the library API).
// - dist/lifecycle/lifecycle.mjs: the whole TypeScript lifecycle bundled into one file (no node_modules needed)
// - dist/lifecycle/<phase>: small executables that run the bundle with their own phase name
// - dist/lifecycle/launcher: the static C launcher (scripts/build-launcher.sh)
// - dist/lifecycle/lifecycle.toml: supported APIs and version
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Built into a temp dir and renamed into place, so a concurrent test run never sees a half-built dist.
const final = join(root, 'dist', 'lifecycle');
const out = join(root, 'dist', `.lifecycle-${process.pid}`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

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
    LIFECYCLE_VERSION: JSON.stringify(pkg.version),
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

await build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(out, 'lifecycle.mjs') });
await build({
  ...common,
  entryPoints: [join(root, 'src/index.ts')],
  outfile: join(root, 'dist/lib/index.js'),
});

const { PHASES } = await import(join(out, 'lifecycle.mjs'));
for (const phase of PHASES) {
  const file = join(out, phase);
  writeFileSync(
    file,
    `#!/usr/bin/env node\nimport { run } from './lifecycle.mjs';\nrun(${JSON.stringify(phase)});\n`,
  );
  chmodSync(file, 0o755);
}
// `lifecycle <phase>` also works.
writeFileSync(
  join(out, 'lifecycle'),
  "#!/usr/bin/env node\nimport { run } from './lifecycle.mjs';\nrun(undefined);\n",
);
chmodSync(join(out, 'lifecycle'), 0o755);

const { SUPPORTED_PLATFORM_APIS, SUPPORTED_BUILDPACK_APIS } = await import(join(out, 'lifecycle.mjs'));
const list = (xs) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
writeFileSync(
  join(out, 'lifecycle.toml'),
  `[apis]\n[apis.buildpack]\n  deprecated = []\n  supported = ${list(SUPPORTED_BUILDPACK_APIS)}\n` +
    `[apis.platform]\n  deprecated = []\n  supported = ${list(SUPPORTED_PLATFORM_APIS)}\n\n` +
    `[lifecycle]\n  version = ${JSON.stringify(pkg.version)}\n`,
);

// The launcher is C (DESIGN.md "Why the launcher is C").
const launcherScript = join(root, 'scripts/build-launcher.sh');
if (existsSync(launcherScript)) {
  execFileSync('bash', [launcherScript, join(out, 'launcher')], { stdio: 'inherit', cwd: root });
}
rmSync(`${final}.old`, { recursive: true, force: true });
if (existsSync(final)) renameSync(final, `${final}.old`);
renameSync(out, final);
rmSync(`${final}.old`, { recursive: true, force: true });
console.log(`built ${final}`);
