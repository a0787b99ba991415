import type { GroupElement } from './group.ts';
import type { Label, LaunchProcess, Slice } from './launch.ts';
import {
  fieldError,
  optBool,
  optString,
  optStringArray,
  optTableArray,
  readToml,
  reqString,
  type TomlTable,
  writeToml,
} from './toml.ts';

/**
 * A process as recorded in metadata.toml (platform.md "metadata.toml (TOML)"): the launch.toml process
 * (command always an array; a legacy string is read as a one-element array) without `default`, plus the
 * buildpack that contributed it (`buildpack-id`).
 */
export interface MetadataProcess extends Omit<LaunchProcess, 'default'> {
  readonly buildpackId: string;
}

/** A buildpack or extension of the group, as recorded in metadata.toml. */
export interface MetadataModule {
  readonly id: string;
  readonly version: string;
  readonly api: string;
  readonly homepage?: string;
}

/** `<layers>/config/metadata.toml`, the builder's output read by the exporter and the launcher. */
export interface BuildMetadata {
  readonly buildpacks: readonly MetadataModule[];
  readonly extensions: readonly MetadataModule[];
  readonly labels: readonly Label[];
  /** Sorted by type (the reference sorts for reproducibility). */
  readonly processes: readonly MetadataProcess[];
  readonly slices: readonly Slice[];
  readonly buildpackDefaultProcessType?: string;
  /** Legacy BOM, only written for Platform API < 0.9 (never at 0.12). */
  readonly bom?: readonly TomlTable[];
}

/** A group element as a metadata module: `optional` and `extension` are dropped. */
export function toMetadataModule(e: GroupElement): MetadataModule {
  return { id: e.id, version: e.version, api: e.api, ...(e.homepage ? { homepage: e.homepage } : {}) };
}

function processToToml(p: MetadataProcess, commandArray: boolean): TomlTable {
  // Before Platform API 0.10 the command is one string and its other entries lead the args (the reference).
  const [first = '', ...rest] = p.command;
  return {
    type: p.type,
    command: commandArray ? [...p.command] : first,
    args: commandArray ? [...p.args] : [...rest, ...p.args],
    direct: p.direct,
    'buildpack-id': p.buildpackId,
    ...(p.workingDir ? { 'working-dir': p.workingDir } : {}),
    ...(p.execEnv && p.execEnv.length > 0 ? { 'exec-env': [...p.execEnv] } : {}),
  };
}

function moduleToToml(m: MetadataModule): TomlTable {
  return { id: m.id, version: m.version, api: m.api, ...(m.homepage ? { homepage: m.homepage } : {}) };
}

/**
 * The TOML document for metadata.toml: `buildpack-default-process-type` (when set), `[[buildpacks]]`,
 * `[[extensions]]` (when any), `[[labels]]`, `[[processes]]`, `[[slices]]`. `default` is never
 * written on processes; the default lives in `buildpack-default-process-type`.
 */
export function buildMetadataToToml(m: BuildMetadata, opts: MetadataWriteOptions = {}): TomlTable {
  const out: TomlTable = {};
  if (m.buildpackDefaultProcessType) out['buildpack-default-process-type'] = m.buildpackDefaultProcessType;
  out['buildpacks'] = m.buildpacks.map(moduleToToml);
  if (m.extensions.length > 0) out['extensions'] = m.extensions.map(moduleToToml);
  if (m.labels.length > 0) out['labels'] = m.labels.map((l) => ({ key: l.key, value: l.value }));
  const commandArray = opts.commandArray ?? true;
  if (m.processes.length > 0) out['processes'] = m.processes.map((p) => processToToml(p, commandArray));
  if (m.slices.length > 0) out['slices'] = m.slices.map((s) => ({ paths: [...s.paths] }));
  if (m.bom && m.bom.length > 0) out['bom'] = [...m.bom];
  return out;
}

function parseModules(t: TomlTable, key: string, file: string): MetadataModule[] {
  return optTableArray(t, key, file).map((b, i) => {
    const homepage = optString(b, 'homepage', file, `${key}[${i}].homepage`);
    return {
      id: reqString(b, 'id', file, `${key}[${i}].id`),
      version: optString(b, 'version', file, `${key}[${i}].version`) ?? '',
      api: optString(b, 'api', file, `${key}[${i}].api`) ?? '',
      ...(homepage ? { homepage } : {}),
    };
  });
}

function parseProcessCommand(p: TomlTable, file: string, path: string): string[] {
  const raw = p['command'];
  if (typeof raw === 'string') return [raw];
  return optStringArray(p, 'command', file, path) ?? [];
}

/** Parses metadata.toml; the process `command` may be an array or a legacy string. */
export function parseBuildMetadata(t: TomlTable, file: string): BuildMetadata {
  const def = optString(t, 'buildpack-default-process-type', file);
  const processes = optTableArray(t, 'processes', file).map((p, i): MetadataProcess => {
    const path = `processes[${i}]`;
    const workingDir = optString(p, 'working-dir', file, `${path}.working-dir`);
    const execEnv = optStringArray(p, 'exec-env', file, `${path}.exec-env`);
    return {
      type: reqString(p, 'type', file, `${path}.type`),
      command: parseProcessCommand(p, file, `${path}.command`),
      args: optStringArray(p, 'args', file, `${path}.args`) ?? [],
      direct: optBool(p, 'direct', file, `${path}.direct`) ?? false,
      buildpackId: optString(p, 'buildpack-id', file, `${path}.buildpack-id`) ?? '',
      ...(workingDir ? { workingDir } : {}),
      ...(execEnv ? { execEnv } : {}),
    };
  });
  const bom = t['bom'];
  if (bom !== undefined && !Array.isArray(bom)) throw fieldError(file, 'bom', 'expected an array of tables');
  return {
    buildpacks: parseModules(t, 'buildpacks', file),
    extensions: parseModules(t, 'extensions', file),
    labels: optTableArray(t, 'labels', file).map((l, i) => ({
      key: reqString(l, 'key', file, `labels[${i}].key`),
      value: optString(l, 'value', file, `labels[${i}].value`) ?? '',
    })),
    processes,
    slices: optTableArray(t, 'slices', file).map((s, i) => ({
      paths: optStringArray(s, 'paths', file, `slices[${i}].paths`) ?? [],
    })),
    ...(def ? { buildpackDefaultProcessType: def } : {}),
    ...(Array.isArray(bom) && bom.length > 0 ? { bom: bom as TomlTable[] } : {}),
  };
}

/** Reads `<layers>/config/metadata.toml`. */
export async function readBuildMetadata(file: string): Promise<BuildMetadata> {
  return parseBuildMetadata(await readToml(file), file);
}

/** Writes metadata.toml atomically (parent directories created). */
/** How metadata.toml is written for a Platform API. */
export interface MetadataWriteOptions {
  /** Process `command` as an array (Platform API 0.10+; default true), else a string (platform-0.9.md). */
  readonly commandArray?: boolean;
}

export async function writeBuildMetadata(
  file: string,
  m: BuildMetadata,
  opts: MetadataWriteOptions = {},
): Promise<void> {
  await writeToml(file, buildMetadataToToml(m, opts));
}
