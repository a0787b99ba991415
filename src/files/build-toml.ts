import { LifecycleError } from '../platform/index.ts';
import { fieldError, optTable, optTableArray, readToml, reqString, type TomlTable } from './toml.ts';

/**
 * A deprecated Bill-of-Materials entry (`[[bom]]` in launch.toml or build.toml, buildpack.md
 * "Deprecations"). A top-level `version` is rejected for every supported API (the reference's rule).
 */
export interface BomEntry {
  readonly name: string;
  readonly metadata?: TomlTable;
}

/** An unmet Buildpack Plan entry (buildpack.md "build.toml (TOML)"). */
export interface Unmet {
  readonly name: string;
}

/** A buildpack's build.toml. */
export interface BuildToml {
  readonly unmet: readonly Unmet[];
  readonly bom: readonly BomEntry[];
}

/** Parses the `[[bom]]` array of launch.toml or build.toml. */
export function parseBom(t: TomlTable, file: string): BomEntry[] {
  return optTableArray(t, 'bom', file).map((b, i) => {
    const name = reqString(b, 'name', file, `bom[${i}].name`);
    if (b['version'] !== undefined) {
      throw fieldError(
        file,
        `bom[${i}].version`,
        `bom entry '${name}' has a top level version which is not allowed. The buildpack should instead set metadata.version`,
      );
    }
    const metadata = optTable(b, 'metadata', file, `bom[${i}].metadata`);
    return metadata === undefined ? { name } : { name, metadata };
  });
}

/**
 * Parses build.toml (buildpack.md "build.toml (TOML)"). An `[[unmet]]` without a name is an
 * error; matching names against the Buildpack Plan is `validateUnmet`'s job.
 */
export function parseBuildToml(t: TomlTable, file: string): BuildToml {
  const unmet = optTableArray(t, 'unmet', file).map((u, i) => {
    if (u['name'] === undefined || u['name'] === '')
      throw fieldError(file, `unmet[${i}].name`, 'unmet.name is required');
    return { name: reqString(u, 'name', file, `unmet[${i}].name`) };
  });
  return { unmet, bom: parseBom(t, file) };
}

/** Reads build.toml; a missing file means nothing unmet and no BOM. */
export async function readBuildToml(file: string): Promise<BuildToml> {
  const t = await readToml(file, { optional: true, what: 'build.toml' });
  return t === undefined ? { unmet: [], bom: [] } : parseBuildToml(t, file);
}

/**
 * Checks every unmet name against the names of the buildpack's plan entries
 * (buildpack.md "build.toml": `name` MUST match an entry in the Buildpack Plan).
 */
export function validateUnmet(unmet: readonly Unmet[], planNames: readonly string[], file: string): void {
  for (const u of unmet) {
    if (!planNames.includes(u.name)) {
      throw new LifecycleError(
        'ERR_BUILD_TOML_INVALID',
        'failed',
        `${file}: unmet.name '${u.name}' must match a requested dependency (plan entries: ${planNames.join(', ') || 'none'})`,
      );
    }
  }
}
