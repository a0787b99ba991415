import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError } from '../platform/index.ts';
import { applyEnvFiles, type EnvAction, type EnvFile, type EnvVars, sortEnvFiles } from './modify.ts';

/**
 * Reads an env directory (`<layer>/env`, `<layer>/env.build`, `<build-config>/env`, ...) as
 * files in lexical order. A missing directory has no files. Subdirectories are skipped
 * (`env.launch/<process>/` belongs to the launcher); symlinks to files are followed, symlinks to
 * directories skipped (docs/reference-behaviour.md §10). Contents are kept verbatim.
 */
export async function readEnvDir(dir: string): Promise<EnvFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new LifecycleError(
      'ERR_ENV_DIR',
      'failed',
      `${dir}: cannot read env directory (${code ?? String(e)})`,
      {
        cause: e,
      },
    );
  }
  const files: EnvFile[] = [];
  for (const fileName of names) {
    const path = join(dir, fileName);
    let isFile: boolean;
    try {
      isFile = (await stat(path)).isFile();
    } catch {
      continue; // dangling symlink
    }
    if (!isFile) continue;
    try {
      files.push({ fileName, content: await readFile(path, 'utf8') });
    } catch (e) {
      throw new LifecycleError('ERR_ENV_FILE', 'failed', `${path}: cannot read env file (${String(e)})`, {
        cause: e,
      });
    }
  }
  return sortEnvFiles(files);
}

/** Reads an env directory and applies it to `env` with the given no-suffix action. */
export async function applyEnvDir(
  env: EnvVars,
  dir: string,
  defaultAction: EnvAction,
): Promise<Record<string, string>> {
  return applyEnvFiles(env, await readEnvDir(dir), defaultAction);
}
