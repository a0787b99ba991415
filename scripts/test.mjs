// Runs the whole suite with node:test: unit tests beside the code (src/**/*.test.ts) and
// integration/end-to-end tests (test/**/*.test.ts). Services (registry, Docker engine) are started by
// the tests themselves through test/support/; a missing service is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'testdata' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
// Arguments are test files or directories to search (no shell globs: Node 20's --test does not expand them).
const only = process.argv
  .slice(2)
  .flatMap((a) => (statSync(join(root, a)).isDirectory() ? find(join(root, a)) : [a]));
const files = (only.length > 0 ? only : [...find(join(root, 'src')), ...find(join(root, 'test'))]).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
