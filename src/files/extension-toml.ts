import { dirname } from 'node:path';
import { type DescriptorTarget, type License, parseApiKey, parseTargets } from './buildpack-toml.ts';
import {
  fieldError,
  optString,
  optStringArray,
  optTable,
  optTableArray,
  readToml,
  reqString,
  type TomlTable,
} from './toml.ts';

/** `[extension]` of extension.toml (image-extension.md "extension.toml"). */
export interface ExtensionInfo {
  readonly id: string;
  readonly version: string;
  readonly name?: string;
  readonly homepage?: string;
  readonly description?: string;
  readonly keywords?: readonly string[];
  readonly licenses: readonly License[];
}

/** A parsed extension.toml (experimental image extensions). Extensions never have an order. */
export interface ExtensionDescriptor {
  /** Declared API, raw text (`''` when missing); check it with `checkBuildpackApi`. */
  readonly api: string;
  readonly extension: ExtensionInfo;
  readonly targets: readonly DescriptorTarget[];
  readonly metadata?: TomlTable;
  /** The extension's root directory. */
  readonly dir: string;
}

/** Parses extension.toml content. */
export function parseExtensionDescriptor(t: TomlTable, file: string): ExtensionDescriptor {
  const e = optTable(t, 'extension', file);
  if (e === undefined) throw fieldError(file, 'extension', 'the [extension] table is required');
  if (t.order !== undefined) throw fieldError(file, 'order', 'image extensions must not contain an order');
  const opt = (k: string) => optString(e, k, file, `extension.${k}`);
  const name = opt('name');
  const homepage = opt('homepage');
  const description = opt('description');
  const keywords = optStringArray(e, 'keywords', file, 'extension.keywords');
  const metadata = optTable(t, 'metadata', file);
  return {
    api: parseApiKey(t, file),
    extension: {
      id: reqString(e, 'id', file, 'extension.id'),
      version: reqString(e, 'version', file, 'extension.version'),
      ...(name === undefined ? {} : { name }),
      ...(homepage === undefined ? {} : { homepage }),
      ...(description === undefined ? {} : { description }),
      ...(keywords === undefined ? {} : { keywords }),
      licenses: optTableArray(e, 'licenses', file, 'extension.licenses').map((l, i) => {
        const type = optString(l, 'type', file, `extension.licenses[${i}].type`);
        const uri = optString(l, 'uri', file, `extension.licenses[${i}].uri`);
        return { ...(type === undefined ? {} : { type }), ...(uri === undefined ? {} : { uri }) };
      }),
    },
    targets: parseTargets(t, file),
    ...(metadata === undefined ? {} : { metadata }),
    dir: dirname(file),
  };
}

/** Reads an extension.toml given its path. */
export async function readExtensionDescriptor(file: string): Promise<ExtensionDescriptor> {
  return parseExtensionDescriptor(await readToml(file), file);
}
