import type { LaunchProcess, MetadataProcess } from '../files/index.ts';

/** The processes contributed so far and the buildpack-provided default type. */
export interface ProcessSet {
  readonly byType: ReadonlyMap<string, MetadataProcess>;
  readonly defaultType?: string;
}

/** An empty process set. */
export const emptyProcessSet: ProcessSet = { byType: new Map() };

/** A launch.toml process as a metadata.toml process of buildpack `buildpackId` (`default` dropped). */
export function toMetadataProcess(p: LaunchProcess, buildpackId: string): MetadataProcess {
  return {
    type: p.type,
    command: p.command,
    args: p.args,
    direct: p.direct,
    buildpackId,
    ...(p.workingDir ? { workingDir: p.workingDir } : {}),
    ...(p.execEnv ? { execEnv: p.execEnv } : {}),
  };
}

/**
 * Adds one buildpack's processes (buildpack.md "launch.toml"): a later definition of a type
 * replaces the earlier one; the last `default = true` becomes the default; a non-default
 * redefinition of the current default type leaves no default (and yields a warning, as the
 * reference warns). A `web` process is not special.
 */
export function addProcesses(
  set: ProcessSet,
  processes: readonly LaunchProcess[],
  buildpackId: string,
): { set: ProcessSet; warning?: string } {
  const byType = new Map(set.byType);
  let defaultType = set.defaultType;
  let warning: string | undefined;
  for (const p of processes) {
    if (p.default) {
      defaultType = p.type;
      warning = undefined;
    } else if (p.type === defaultType) {
      defaultType = undefined;
      warning = `redefining the following default process type with a process not marked as default: ${p.type}`;
    }
    byType.set(p.type, toMetadataProcess(p, buildpackId));
  }
  const next: ProcessSet = defaultType === undefined ? { byType } : { byType, defaultType };
  return warning === undefined ? { set: next } : { set: next, warning };
}

/** The processes sorted by type, for reproducible metadata.toml (the reference sorts). */
export function listProcesses(set: ProcessSet): MetadataProcess[] {
  return [...set.byType.keys()].sort().map((k) => set.byType.get(k)!);
}
