import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeId } from '../buildpack/index.ts';
import { fieldError, type GroupElement, readToml } from '../files/index.ts';

/** The Dockerfile of one extension for one kind, with its build args. */
export interface ExtensionDockerfile {
  readonly extensionId: string;
  readonly path: string;
  readonly text: string;
  /** `[[<kind>.args]]` of the extension's `extend-config.toml`, in order. */
  readonly args: readonly { readonly name: string; readonly value: string }[];
  /** The build context (Platform API 0.12: `<app>`). */
  readonly context: string;
}

function parseArgs(
  t: Record<string, unknown>,
  kind: string,
  file: string,
): { name: string; value: string }[] {
  const section = t[kind];
  if (section === undefined) return [];
  const args = (section as Record<string, unknown>)['args'];
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw fieldError(file, `${kind}.args`, 'must be an array of tables');
  return args.map((a: Record<string, unknown>, i) => {
    if (typeof a?.['name'] !== 'string' || typeof a['value'] !== 'string')
      throw fieldError(file, `${kind}.args[${i}]`, 'needs string "name" and "value"');
    return { name: a['name'], value: a['value'] };
  });
}

/**
 * The Dockerfiles to apply for `kind`, in group order (platform.md "extender": "For each extension in
 * `<group>` in order, if a Dockerfile exists in `<generated>/<kind>/<buildpack-id>`"). At Platform API
 * 0.12 that is `<generated>/<kind>/<escaped id>/Dockerfile` with `extend-config.toml` beside it and `<app>`
 * as the context; a `Dockerfile.ignore` (superseded by a later run.Dockerfile) is skipped.
 */
export async function dockerfilesFor(
  kind: 'build' | 'run',
  extensions: readonly GroupElement[],
  generated: string,
  app: string,
): Promise<ExtensionDockerfile[]> {
  const out: ExtensionDockerfile[] = [];
  for (const ext of extensions) {
    const dir = join(generated, kind, escapeId(ext.id));
    const path = join(dir, 'Dockerfile');
    if (!(await stat(path).catch(() => undefined))?.isFile()) continue;
    const configPath = join(dir, 'extend-config.toml');
    const config = await readToml(configPath, { optional: true, what: 'extend config' });
    out.push({
      extensionId: ext.id,
      path,
      text: await readFile(path, 'utf8'),
      args: config === undefined ? [] : parseArgs(config, kind, configPath),
      context: app,
    });
  }
  return out;
}
