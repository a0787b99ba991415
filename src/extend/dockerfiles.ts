import { readFile, stat } from 'node:fs/promises';
import { dockerfileLocation, type GeneratedLayout } from '../buildpack/index.ts';
import { fieldError, type GroupElement, readToml } from '../files/index.ts';

/** The Dockerfile of one extension for one kind, with its build args. */
export interface ExtensionDockerfile {
  readonly extensionId: string;
  readonly path: string;
  readonly text: string;
  /** `[[<kind>.args]]` of the extension's `extend-config.toml`, in order. */
  readonly args: readonly { readonly name: string; readonly value: string }[];
  /** The build context (`<app>` before Platform API 0.13; see {@link dockerfilesFor}). */
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
 * `<group>` in order, if a Dockerfile exists"), where `layout` puts them (D-314): before Platform API
 * 0.13 `<generated>/<kind>/<escaped id>/Dockerfile` with `<app>` as the context, from 0.13
 * `<generated>/<escaped id>/<kind>.Dockerfile` with `context.<kind>`, `context` or `<app>`. Superseded
 * run Dockerfiles (`.ignore`) are skipped.
 */
export async function dockerfilesFor(
  kind: 'build' | 'run',
  extensions: readonly GroupElement[],
  generated: string,
  app: string,
  layout: GeneratedLayout = 'by-kind',
): Promise<ExtensionDockerfile[]> {
  const out: ExtensionDockerfile[] = [];
  for (const ext of extensions) {
    const at = await dockerfileLocation(generated, ext.id, kind, app, layout);
    if (!(await stat(at.path).catch(() => undefined))?.isFile()) continue;
    const config = await readToml(at.config, { optional: true, what: 'extend config' });
    out.push({
      extensionId: ext.id,
      path: at.path,
      text: await readFile(at.path, 'utf8'),
      args: config === undefined ? [] : parseArgs(config, kind, at.config),
      context: at.context,
    });
  }
  return out;
}
