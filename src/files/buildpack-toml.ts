import { dirname } from 'node:path';
import { type Order, parseOrderGroups } from './order.ts';
import {
  fieldError,
  optBool,
  optString,
  optStringArray,
  optTable,
  optTableArray,
  readToml,
  reqString,
  type TomlTable,
} from './toml.ts';

/** A distribution a target supports (buildpack.md "Targets"; `[[targets.distros]]`). */
export interface TargetDistro {
  readonly name?: string;
  readonly version?: string;
}

/**
 * A target declared in a descriptor (buildpack.md "buildpack.toml" `[[targets]]`). Missing fields
 * match anything. The architecture variant is read from `variant` (spec, pack) or `arch-variant`
 * (the reference lifecycle's key); both are accepted (BUILDPACK-API-VERSIONS.md B).
 */
export interface DescriptorTarget {
  readonly os?: string;
  readonly arch?: string;
  readonly archVariant?: string;
  readonly distros: readonly TargetDistro[];
}

/** A deprecated `[[stacks]]` entry (buildpack.md "Deprecations"). */
export interface DescriptorStack {
  readonly id: string;
  readonly mixins: readonly string[];
}

/** A `[[buildpack.licenses]]` entry. */
export interface License {
  readonly type?: string;
  readonly uri?: string;
}

/** `[buildpack]` of buildpack.toml. */
export interface BuildpackInfo {
  readonly id: string;
  readonly version: string;
  readonly name?: string;
  readonly homepage?: string;
  /** `clear-env`, defaults to false (buildpack.md "Provided by the Platform"). */
  readonly clearEnv: boolean;
  readonly description?: string;
  readonly keywords?: readonly string[];
  readonly sbomFormats: readonly string[];
  readonly licenses: readonly License[];
  /** Execution environments: spec `[[buildpack.exec-env]] name` or the reference's string array. */
  readonly execEnv?: readonly string[];
}

/** A parsed buildpack.toml (buildpack.md "buildpack.toml (TOML)"). */
export interface BuildpackDescriptor {
  /** Declared buildpack API, raw text (`''` when missing); check it with `checkBuildpackApi`. */
  readonly api: string;
  readonly buildpack: BuildpackInfo;
  /** Nested order (a composite / meta-buildpack); empty for a component buildpack. */
  readonly order: Order;
  readonly targets: readonly DescriptorTarget[];
  readonly stacks: readonly DescriptorStack[];
  readonly metadata?: TomlTable;
  /** The buildpack's root directory (where buildpack.toml lives). */
  readonly dir: string;
}

/** Parses `[[targets]]` of a buildpack or extension descriptor. */
export function parseTargets(t: TomlTable, file: string): DescriptorTarget[] {
  return optTableArray(t, 'targets', file).map((x, i) => {
    const p = `targets[${i}]`;
    const os = optString(x, 'os', file, `${p}.os`);
    const arch = optString(x, 'arch', file, `${p}.arch`);
    const archVariant =
      optString(x, 'variant', file, `${p}.variant`) ??
      optString(x, 'arch-variant', file, `${p}.arch-variant`);
    return {
      ...(os === undefined ? {} : { os }),
      ...(arch === undefined ? {} : { arch }),
      ...(archVariant === undefined ? {} : { archVariant }),
      distros: optTableArray(x, 'distros', file, `${p}.distros`).map((d, j) => {
        const name = optString(d, 'name', file, `${p}.distros[${j}].name`);
        const version = optString(d, 'version', file, `${p}.distros[${j}].version`);
        return { ...(name === undefined ? {} : { name }), ...(version === undefined ? {} : { version }) };
      }),
    };
  });
}

/** Parses the API key: a TOML string, `<major>.<minor>` or `<major>`; left raw for the API check. */
export function parseApiKey(t: TomlTable, file: string): string {
  const v = t.api;
  if (v === undefined) return '';
  // A bare number (api = 0.8) is a common mistake; accept it as text so the API check reports it.
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw fieldError(file, 'api', 'expected a string such as "0.10"');
  return v;
}

function parseExecEnv(b: TomlTable, file: string): string[] | undefined {
  const v = b['exec-env'];
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return optTableArray(b, 'exec-env', file, 'buildpack.exec-env').map((e, i) =>
    reqString(e, 'name', file, `buildpack.exec-env[${i}].name`),
  );
}

/** Parses buildpack.toml content; `file` is its path (the buildpack dir is its parent). */
export function parseBuildpackDescriptor(t: TomlTable, file: string): BuildpackDescriptor {
  const b = optTable(t, 'buildpack', file);
  if (b === undefined) throw fieldError(file, 'buildpack', 'the [buildpack] table is required');
  const opt = (k: string) => optString(b, k, file, `buildpack.${k}`);
  const name = opt('name');
  const homepage = opt('homepage');
  const description = opt('description');
  const keywords = optStringArray(b, 'keywords', file, 'buildpack.keywords');
  const execEnv = parseExecEnv(b, file);
  const metadata = optTable(t, 'metadata', file);
  const info: BuildpackInfo = {
    id: reqString(b, 'id', file, 'buildpack.id'),
    version: reqString(b, 'version', file, 'buildpack.version'),
    ...(name === undefined ? {} : { name }),
    ...(homepage === undefined ? {} : { homepage }),
    clearEnv: optBool(b, 'clear-env', file, 'buildpack.clear-env') ?? false,
    ...(description === undefined ? {} : { description }),
    ...(keywords === undefined ? {} : { keywords }),
    sbomFormats: optStringArray(b, 'sbom-formats', file, 'buildpack.sbom-formats') ?? [],
    licenses: optTableArray(b, 'licenses', file, 'buildpack.licenses').map((l, i) => {
      const type = optString(l, 'type', file, `buildpack.licenses[${i}].type`);
      const uri = optString(l, 'uri', file, `buildpack.licenses[${i}].uri`);
      return { ...(type === undefined ? {} : { type }), ...(uri === undefined ? {} : { uri }) };
    }),
    ...(execEnv === undefined ? {} : { execEnv }),
  };
  const stacks = optTableArray(t, 'stacks', file).map((s, i) => ({
    id: reqString(s, 'id', file, `stacks[${i}].id`),
    mixins: optStringArray(s, 'mixins', file, `stacks[${i}].mixins`) ?? [],
  }));
  return {
    api: parseApiKey(t, file),
    buildpack: info,
    order: parseOrderGroups(t, 'order', file),
    targets: parseTargets(t, file),
    stacks,
    ...(metadata === undefined ? {} : { metadata }),
    dir: dirname(file),
  };
}

/** Reads `<dir>/buildpack.toml` given the file path. Missing file → LifecycleError naming it. */
export async function readBuildpackDescriptor(file: string): Promise<BuildpackDescriptor> {
  return parseBuildpackDescriptor(await readToml(file), file);
}
