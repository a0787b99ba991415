import { type ApiVersion, buildpackFeatures, LifecycleError } from '../platform/index.ts';
import { type BomEntry, parseBom } from './build-toml.ts';
import {
  fieldError,
  MAX_LABEL_SOURCE_BYTES,
  optBool,
  optString,
  optStringArray,
  optTableArray,
  readToml,
  reqString,
  type TomlTable,
} from './toml.ts';

/** An image label from launch.toml `[[labels]]` (buildpack.md "launch.toml"). */
export interface Label {
  readonly key: string;
  readonly value: string;
}

/** An app slice: path globs inside `<app>` (buildpack.md "launch.toml" `[[slices]]`). */
export interface Slice {
  readonly paths: readonly string[];
}

/**
 * A launch.toml process normalised across Buildpack APIs: `command` is always an array (a 0.7/0.8
 * string command becomes a one-element array), `direct` is always set (0.9+: true).
 */
export interface LaunchProcess {
  readonly type: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly direct: boolean;
  readonly default: boolean;
  readonly workingDir?: string;
  readonly execEnv?: readonly string[];
}

/** A buildpack's launch.toml. */
export interface LaunchToml {
  readonly labels: readonly Label[];
  readonly processes: readonly LaunchProcess[];
  readonly slices: readonly Slice[];
  /** Deprecated `[[bom]]` entries (buildpack.md "Deprecations"). */
  readonly bom: readonly BomEntry[];
}

/** Characters allowed in a process type by the spec (buildpack.md "launch.toml"). */
const SPEC_TYPE = /^[A-Za-z0-9._-]+$/;
/** Characters that cannot appear in a file name under /cnb/process (S-5; the reference's set). */
const FORBIDDEN_TYPE = /[/><:|&\\]/;

/**
 * Classifies a process type (S-5): `invalid` (cannot be a file name under `/cnb/process`;
 * the exporter rejects it), `nonstandard` (outside `[A-Za-z0-9._-]`; a warning), or undefined (fine).
 */
export function processTypeProblem(type: string): 'invalid' | 'nonstandard' | undefined {
  if (type === '' || type === '.' || type === '..' || FORBIDDEN_TYPE.test(type)) return 'invalid';
  return SPEC_TYPE.test(type) ? undefined : 'nonstandard';
}

function parseCommand(p: TomlTable, file: string, path: string, bpApi: ApiVersion): string[] {
  const raw = p['command'];
  if (buildpackFeatures.commandArray(bpApi)) {
    if (typeof raw === 'string')
      throw fieldError(
        file,
        `${path}.command`,
        'must be an array of strings for Buildpack API 0.9 and later, e.g. command = ["bash", "-c", "..."]',
      );
    const cmd = optStringArray(p, 'command', file, `${path}.command`);
    if (!cmd || cmd.length === 0)
      throw fieldError(file, `${path}.command`, 'is required (a non-empty array)');
    return cmd;
  }
  if (Array.isArray(raw))
    throw fieldError(file, `${path}.command`, 'must be a string for Buildpack API 0.7 and 0.8');
  const cmd = optString(p, 'command', file, `${path}.command`);
  if (cmd === undefined || cmd === '') throw fieldError(file, `${path}.command`, 'is required');
  return [cmd];
}

function parseProcess(
  p: TomlTable,
  file: string,
  i: number,
  bpApi: ApiVersion,
  warn: (m: string) => void,
): LaunchProcess {
  const path = `processes[${i}]`;
  const type = reqString(p, 'type', file, `${path}.type`);
  const command = parseCommand(p, file, path, bpApi);
  let direct: boolean;
  if (buildpackFeatures.noDirectKey(bpApi)) {
    if (p['direct'] !== undefined)
      throw fieldError(
        file,
        `${path}.direct`,
        'process.direct is not supported on this buildpack version (0.9+); remove it',
      );
    direct = true;
  } else {
    direct = optBool(p, 'direct', file, `${path}.direct`) ?? false;
  }
  let workingDir = optString(p, 'working-dir', file, `${path}.working-dir`);
  if (workingDir !== undefined && workingDir !== '' && !buildpackFeatures.processWorkingDir(bpApi)) {
    warn(
      `process working directory isn't supported in this buildpack api version. Ignoring working directory for process '${type}'`,
    );
    workingDir = undefined;
  }
  const execEnv = optStringArray(p, 'exec-env', file, `${path}.exec-env`);
  return {
    type,
    command,
    args: optStringArray(p, 'args', file, `${path}.args`) ?? [],
    direct,
    default: optBool(p, 'default', file, `${path}.default`) ?? false,
    ...(workingDir ? { workingDir } : {}),
    ...(execEnv ? { execEnv } : {}),
  };
}

/**
 * Parses launch.toml for a buildpack of API `bpApi` (buildpack.md "launch.toml (TOML)";
 * BUILDPACK-API-VERSIONS.md section J). `warn` receives non-fatal problems.
 */
export function parseLaunchToml(
  t: TomlTable,
  file: string,
  bpApi: ApiVersion,
  warn: (m: string) => void = () => {},
): LaunchToml {
  const labels = optTableArray(t, 'labels', file).map((l, i) => ({
    key: reqString(l, 'key', file, `labels[${i}].key`),
    value: reqString(l, 'value', file, `labels[${i}].value`),
  }));
  const processes = optTableArray(t, 'processes', file).map((p, i) => parseProcess(p, file, i, bpApi, warn));
  const defaults = processes.filter((p) => p.default);
  if (defaults.length > 1) {
    throw new LifecycleError(
      'ERR_LAUNCH_TOML_INVALID',
      'failed',
      `${file}: multiple default process types aren't allowed (${defaults.map((p) => p.type).join(', ')}); mark at most one process default = true`,
    );
  }
  const seen = new Set<string>();
  for (const p of processes) {
    if (seen.has(p.type))
      warn(`${file}: process type '${p.type}' is defined more than once; the last definition is used`);
    seen.add(p.type);
    const problem = processTypeProblem(p.type);
    if (problem)
      warn(
        `${file}: process type '${p.type}' should contain only letters, digits, '.', '_' and '-'${problem === 'invalid' ? ' (the exporter will reject it)' : ''}`,
      );
  }
  const slices = optTableArray(t, 'slices', file).map((s, i) => ({
    paths: optStringArray(s, 'paths', file, `slices[${i}].paths`) ?? [],
  }));
  return { labels, processes, slices, bom: parseBom(t, file) };
}

/** Reads launch.toml; undefined when the buildpack wrote none (that is fine). */
export async function readLaunchToml(
  file: string,
  bpApi: ApiVersion,
  warn: (m: string) => void = () => {},
): Promise<LaunchToml | undefined> {
  // Processes, labels and BOM entries go into image labels (D-214).
  const t = await readToml(file, { optional: true, what: 'launch.toml', maxBytes: MAX_LABEL_SOURCE_BYTES });
  return t === undefined ? undefined : parseLaunchToml(t, file, bpApi, warn);
}
