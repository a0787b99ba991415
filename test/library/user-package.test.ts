import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { LIFECYCLE_VERSION } from '../../src/platform/index.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

const USE = `import { create, type CreateOptions, detect, image, layer, LIFECYCLE_VERSION, lifecycleToml } from 'cnb-lifecycle-ts';

const options: Partial<CreateOptions> = { image: 'example.test/app' };
const toml: string = lifecycleToml();
const empty = image.emptyImage();
console.log(JSON.stringify({ version: LIFECYCLE_VERSION, create: typeof create, detect: typeof detect, digest: empty.digest.slice(0, 7), layer: typeof layer.writeLayer, toml: toml.includes('[apis.platform]'), image: options.image }));
`;

/**
 * The library as a user gets it (package.json `main` and `types`): a separate package that depends on
 * this one, type-checked with strict settings and run with Node.
 */
describe('the library from a separate package (package.json "types": dist/lib/index.d.ts)', () => {
  let dir: string;

  before(async () => {
    for (const f of ['dist/lib/index.js', 'dist/lib/index.d.ts'])
      if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run 'npm run build' first`);
    dir = await mkdtemp(join(tmpdir(), 'lib-user-'));
    await mkdir(join(dir, 'node_modules', '@types'), { recursive: true });
    // what `npm install <path-to-this-checkout>` makes: a link to the package
    await symlink(ROOT, join(dir, 'node_modules', 'cnb-lifecycle-ts'));
    await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'user',
        private: true,
        type: 'module',
        dependencies: { 'cnb-lifecycle-ts': '*' },
      }),
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          types: ['node'],
          skipLibCheck: false,
          outDir: 'out',
        },
        include: ['main.ts'],
      }),
    );
    await writeFile(join(dir, 'main.ts'), USE);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('type-checks and compiles against the declarations, then runs', async () => {
    await run(process.execPath, [TSC, '-p', dir], { cwd: dir }).catch((e: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${e.stdout ?? String(e)}`);
    });
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'main.js')], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), {
      version: LIFECYCLE_VERSION,
      create: 'function',
      detect: 'function',
      digest: 'sha256:',
      layer: 'function',
      toml: true,
      image: 'example.test/app',
    });
  });

  it('reports type errors in user code (the declarations carry real types)', async () => {
    await writeFile(
      join(dir, 'bad.ts'),
      "import { create } from 'cnb-lifecycle-ts';\nexport const n: number = create;\n",
    );
    const bad = await run(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--types',
        'node',
        join(dir, 'bad.ts'),
      ],
      { cwd: dir },
    ).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? '',
    );
    assert.match(bad, /bad\.ts\(2,14\): error TS2322: Type '\(o: CreateOptions/);
  });
});
