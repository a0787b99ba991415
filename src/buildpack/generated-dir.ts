import { copyFile, cp, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError } from '../platform/index.ts';
import { escapeId } from './lookup.ts';

/**
 * Where generated Dockerfiles live in `<generated>`, per Platform API (D-314):
 * - `by-kind` (before 0.13; platform.md "detector" Outputs): the detector copies each extension's
 *   output to `<generated>/<build|run>/<escaped id>/Dockerfile` (+ `extend-config.toml`); a superseded
 *   run Dockerfile becomes `Dockerfile.ignore`; the build context is `<app>`.
 * - `by-extension` (0.13+; platform-0.13.md "extender", image-extension.md "Context"): bin/generate
 *   writes straight into `<generated>/<escaped id>/` (`build.Dockerfile`, `run.Dockerfile`,
 *   `extend-config.toml`, `context`, `context.build`, `context.run`); a superseded run Dockerfile
 *   becomes `run.Dockerfile.ignore`.
 */
export type GeneratedLayout = 'by-kind' | 'by-extension';

/** The shared and per-kind build context dirs an extension may output (image-extension.md "Context"). */
export const CONTEXT_DIRS = { shared: 'context', build: 'context.build', run: 'context.run' } as const;

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** `<generated>/<escaped id>`: the output dir of an extension in the `by-extension` layout. */
export function extensionOutputDir(generated: string, extensionId: string): string {
  return join(generated, escapeId(extensionId));
}

/**
 * An extension without bin/generate has its output pre-populated in `<extension>/generate/`; in the
 * `by-extension` layout it is copied to `<generated>/<escaped id>/` so the extender finds it there
 * (the reference reads it in place and leaves `<generated>` without it, D-314).
 */
export async function placePrepopulated(
  dir: string,
  generated: string,
  extensionId: string,
): Promise<string> {
  const out = extensionOutputDir(generated, extensionId);
  await mkdir(out, { recursive: true });
  if (await isDir(dir)) await cp(dir, out, { recursive: true });
  return out;
}

/** An extension may output `context` or `context.build`/`context.run`, not both (image-extension.md). */
export async function checkContexts(out: string, extensionId: string): Promise<void> {
  if (!(await isDir(join(out, CONTEXT_DIRS.shared)))) return;
  for (const kind of ['build', 'run'] as const) {
    if (await isDir(join(out, CONTEXT_DIRS[kind]))) {
      throw new LifecycleError(
        'ERR_GENERATE',
        'generate',
        `extension ${extensionId}: ${join(out, CONTEXT_DIRS[kind])} is given together with the shared context ${join(out, CONTEXT_DIRS.shared)}; output one or the other`,
      );
    }
  }
}

/** A Dockerfile an extension output, and whether a later run.Dockerfile supersedes it. */
export interface PlacedDockerfile {
  readonly extensionId: string;
  readonly kind: 'build' | 'run';
  readonly path: string;
  readonly ignore: boolean;
}

/** Puts the generated Dockerfiles where the extender looks for them in `layout`. */
export async function placeDockerfiles(
  dockerfiles: readonly PlacedDockerfile[],
  generated: string,
  layout: GeneratedLayout,
): Promise<void> {
  for (const d of dockerfiles) {
    if (layout === 'by-extension') {
      if (d.kind === 'run' && d.ignore) await rename(d.path, `${d.path}.ignore`);
      continue;
    }
    const dir = join(generated, d.kind, escapeId(d.extensionId));
    await mkdir(dir, { recursive: true });
    await copyFile(d.path, join(dir, d.ignore ? 'Dockerfile.ignore' : 'Dockerfile'));
    const config = join(d.path, '..', 'extend-config.toml');
    if ((await stat(config).catch(() => undefined))?.isFile())
      await copyFile(config, join(dir, 'extend-config.toml'));
  }
}

/**
 * The Dockerfile, extend-config.toml and build context of an extension for `kind` in `layout`, as the
 * extender reads them; the context is `context.<kind>`, else `context`, else `<app>` (by-extension).
 */
export async function dockerfileLocation(
  generated: string,
  extensionId: string,
  kind: 'build' | 'run',
  app: string,
  layout: GeneratedLayout,
): Promise<{ readonly path: string; readonly config: string; readonly context: string }> {
  if (layout === 'by-kind') {
    const dir = join(generated, kind, escapeId(extensionId));
    return { path: join(dir, 'Dockerfile'), config: join(dir, 'extend-config.toml'), context: app };
  }
  const dir = extensionOutputDir(generated, extensionId);
  let context = app;
  for (const c of [CONTEXT_DIRS[kind], CONTEXT_DIRS.shared]) {
    if (await isDir(join(dir, c))) {
      context = join(dir, c);
      break;
    }
  }
  return { path: join(dir, `${kind}.Dockerfile`), config: join(dir, 'extend-config.toml'), context };
}
