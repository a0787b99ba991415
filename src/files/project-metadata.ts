import { optString, optTable, readToml, type TomlTable, writeToml } from './toml.ts';

/** `[source]` of project-metadata.toml (platform.md "project-metadata.toml (TOML)"); all optional. */
export interface ProjectSource {
  readonly type?: string;
  readonly version?: TomlTable;
  readonly metadata?: TomlTable;
}

/** project-metadata.toml. */
export interface ProjectMetadata {
  readonly source?: ProjectSource;
}

/** Parses project-metadata.toml. */
export function parseProjectMetadata(t: TomlTable, file: string): ProjectMetadata {
  const s = optTable(t, 'source', file);
  if (s === undefined) return {};
  const type = optString(s, 'type', file, 'source.type');
  const version = optTable(s, 'version', file, 'source.version');
  const metadata = optTable(s, 'metadata', file, 'source.metadata');
  return {
    source: {
      ...(type === undefined ? {} : { type }),
      ...(version === undefined ? {} : { version }),
      ...(metadata === undefined ? {} : { metadata }),
    },
  };
}

/**
 * Reads project-metadata.toml; a missing file is empty metadata, not an error
 * (docs/reference-behaviour.md §0.10: the reference logs it at debug level).
 */
export async function readProjectMetadata(file: string): Promise<ProjectMetadata> {
  const t = await readToml(file, { optional: true });
  return t === undefined ? {} : parseProjectMetadata(t, file);
}

/** The value of the `io.buildpacks.project.metadata` label (platform.md "Labels"): the same shape as JSON. */
export function projectMetadataLabel(p: ProjectMetadata): string {
  return JSON.stringify(p.source === undefined ? {} : { source: p.source });
}

/** Writes project-metadata.toml atomically. */
export async function writeProjectMetadata(file: string, p: ProjectMetadata): Promise<void> {
  await writeToml(file, p.source === undefined ? {} : { source: p.source });
}
