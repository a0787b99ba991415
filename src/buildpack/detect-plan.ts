import { optTable, optTableArray, parseToml, reqString, type TomlTable } from '../files/index.ts';
import { LifecycleError } from '../platform/index.ts';

/** A `[[provides]]` entry of a detect plan (buildpack.md "Build Plan (TOML)"). */
export interface Provide {
  readonly name: string;
}

/** A `[[requires]]` entry of a detect plan. */
export interface Require {
  readonly name: string;
  readonly metadata?: TomlTable;
}

/** One potential Build Plan: a `provides`/`requires` pairing. */
export interface PlanSections {
  readonly provides: readonly Provide[];
  readonly requires: readonly Require[];
}

/** What bin/detect wrote to `<plan>`: the main sections plus `[[or]]` alternatives. */
export interface DetectPlan extends PlanSections {
  readonly or: readonly PlanSections[];
}

/** An empty detect plan (bin/detect wrote nothing). */
export const EMPTY_DETECT_PLAN: DetectPlan = { provides: [], requires: [], or: [] };

function parseSections(
  t: TomlTable,
  file: string,
  prefix: string,
  who: string,
  extension: boolean,
): PlanSections {
  const provides = optTableArray(t, 'provides', file, `${prefix}provides`).map((p, i) => ({
    name: reqString(p, 'name', file, `${prefix}provides[${i}].name`),
  }));
  const reqs = optTableArray(t, 'requires', file, `${prefix}requires`);
  if (extension && reqs.length > 0) {
    // image-extension.md: extensions only provide (docs/reference-behaviour.md §2).
    throw new LifecycleError(
      'ERR_DETECT_PLAN',
      'detect',
      `extension ${who} outputs "requires" which is not allowed (${file})`,
    );
  }
  const requires = reqs.map((r, i) => {
    const path = `${prefix}requires[${i}]`;
    // `requires.version` is deprecated in favour of `requires.metadata.version`; the reference
    // rejects it for every supported buildpack API (BUILDPACK-API-VERSIONS.md E).
    if (r.version !== undefined) {
      throw new LifecycleError(
        'ERR_DETECT_PLAN',
        'detect',
        `buildpack ${who} has a "version" key which is not supported. "metadata.version" should be used instead (${file}: ${path}.version)`,
      );
    }
    const metadata = optTable(r, 'metadata', file, `${path}.metadata`);
    return {
      name: reqString(r, 'name', file, `${path}.name`),
      ...(metadata === undefined ? {} : { metadata }),
    };
  });
  return { provides, requires };
}

/**
 * Parses the plan bin/detect wrote (buildpack.md "Build Plan (TOML)"). Errors name the file, the
 * key and the buildpack (`who`, e.g. `example/node@1.0.0`); detection counts them as a buildpack error.
 */
export function parseDetectPlan(
  text: string | Uint8Array,
  file: string,
  who: string,
  extension = false,
): DetectPlan {
  const t = parseToml(text, file);
  const main = parseSections(t, file, '', who, extension);
  const or = optTableArray(t, 'or', file).map((o, i) => parseSections(o, file, `or[${i}].`, who, extension));
  return { ...main, or };
}
