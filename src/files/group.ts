import { optBool, optString, optTableArray, readToml, reqString, type TomlTable, writeToml } from './toml.ts';

/**
 * One element of a detected group (platform.md "group.toml"): a buildpack or an image extension.
 * `api` is kept as text: callers check it with `checkBuildpackApi` (exit 12), as an unparsable or
 * missing value is a Buildpack API error, not a file-format error.
 */
export interface GroupElement {
  readonly id: string;
  readonly version: string;
  /** Buildpack (or extension) API as declared in its descriptor; `''` when absent from the file. */
  readonly api: string;
  readonly homepage?: string;
  /** Read only; never written (the reference strips it). */
  readonly optional?: boolean;
  /** True for elements of `[[group-extensions]]`; never written as a key. */
  readonly extension?: boolean;
}

/** group.toml: the buildpacks and (experimental) image extensions that passed detection. */
export interface Group {
  readonly group: readonly GroupElement[];
  readonly groupExtensions: readonly GroupElement[];
}

function parseElements(t: TomlTable, key: string, file: string, extension: boolean): GroupElement[] {
  return optTableArray(t, key, file).map((e, i) => {
    const p = `${key}[${i}]`;
    const homepage = optString(e, 'homepage', file, `${p}.homepage`);
    const optional = optBool(e, 'optional', file, `${p}.optional`);
    return {
      id: reqString(e, 'id', file, `${p}.id`),
      version: reqString(e, 'version', file, `${p}.version`),
      api: optString(e, 'api', file, `${p}.api`) ?? '',
      ...(homepage === undefined ? {} : { homepage }),
      // On read, group-extensions are marked extension + optional (docs/reference-behaviour.md §0.10).
      ...(extension ? { extension: true, optional: true } : optional === undefined ? {} : { optional }),
    };
  });
}

/** Parses group.toml content (an empty file is an empty group). */
export function parseGroup(t: TomlTable, file: string): Group {
  return {
    group: parseElements(t, 'group', file, false),
    groupExtensions: parseElements(t, 'group-extensions', file, true),
  };
}

/** Reads group.toml. A missing file is an error (`failed to read group file`), exit 1. */
export async function readGroup(file: string): Promise<Group> {
  const t = await readToml(file, { what: 'group file', hint: 'run the detector first or pass -group' });
  return parseGroup(t, file);
}

function elementToToml(e: GroupElement): TomlTable {
  // `optional` and `extension` are never written (docs/reference-behaviour.md §0.10).
  return { id: e.id, version: e.version, api: e.api, homepage: e.homepage };
}

/** The TOML document for a group (`[[group]]` then `[[group-extensions]]`, omitted when empty). */
export function groupToToml(g: Group): TomlTable {
  const out: TomlTable = { group: g.group.map(elementToToml) };
  if (g.groupExtensions.length > 0) out['group-extensions'] = g.groupExtensions.map(elementToToml);
  return out;
}

/** Writes group.toml atomically. */
export async function writeGroup(file: string, g: Group): Promise<void> {
  await writeToml(file, groupToToml(g));
}
