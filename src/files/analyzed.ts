import { MAX_TOML_BYTES, optBool, optString, optTable, readToml, type TomlTable, writeToml } from './toml.ts';

/** OS distribution of an image (platform.md "Target Data"). */
export interface OsDistro {
  readonly name: string;
  readonly version: string;
}

/**
 * Target data of an image (platform.md "analyzed.toml" `[run-image.target]`). The variant is
 * written as `arch-variant` (the reference's key) and read from `arch-variant` or `variant` (spec
 * text); the distro is written as `[target.distro]` and read from `distro` or the draft name
 * `distribution` (S-11).
 */
export interface TargetMetadata {
  /** `io.buildpacks.base.id` of the image, when known. */
  readonly id?: string;
  readonly os: string;
  readonly arch: string;
  readonly archVariant?: string;
  readonly distro?: OsDistro;
}

/** `[run-image]` of analyzed.toml. */
export interface RunImageInfo {
  /** Digest reference, daemon image ID or layout path; may be `''` when the image was not found. */
  readonly reference: string;
  /** The platform- or extension-provided image name. */
  readonly image?: string;
  /** True when image extensions extend the run image (experimental). */
  readonly extend?: boolean;
  readonly target?: TargetMetadata;
}

/** analyzed.toml (platform.md "analyzed.toml"). */
export interface Analyzed {
  /** `[image]`: the previous image (spec text also calls it `previous-image`). */
  readonly previousImage?: { readonly reference: string };
  readonly buildImage?: { readonly reference: string };
  readonly runImage?: RunImageInfo;
  /** `[metadata]`: the previous image's layers metadata, passed through unchanged. */
  readonly metadata?: TomlTable;
}

function parseTarget(t: TomlTable, file: string): TargetMetadata {
  const p = 'run-image.target';
  const s = (k: string) => optString(t, k, file, `${p}.${k}`);
  const id = s('id');
  const archVariant = s('arch-variant') ?? s('variant');
  const distroKey = t.distro !== undefined ? 'distro' : 'distribution';
  const d = optTable(t, distroKey, file, `${p}.${distroKey}`);
  return {
    ...(id === undefined || id === '' ? {} : { id }),
    os: s('os') ?? '',
    arch: s('arch') ?? '',
    ...(archVariant === undefined || archVariant === '' ? {} : { archVariant }),
    ...(d === undefined
      ? {}
      : {
          distro: {
            name: optString(d, 'name', file, `${p}.${distroKey}.name`) ?? '',
            version: optString(d, 'version', file, `${p}.${distroKey}.version`) ?? '',
          },
        }),
  };
}

function parseRef(t: TomlTable, key: string, file: string): { reference: string } | undefined {
  const x = optTable(t, key, file);
  return x === undefined
    ? undefined
    : { reference: optString(x, 'reference', file, `${key}.reference`) ?? '' };
}

/** Parses analyzed.toml content. */
export function parseAnalyzed(t: TomlTable, file: string): Analyzed {
  const previousImage = parseRef(t, 'image', file) ?? parseRef(t, 'previous-image', file);
  const buildImage = parseRef(t, 'build-image', file);
  const metadata = optTable(t, 'metadata', file);
  const r = optTable(t, 'run-image', file);
  let runImage: RunImageInfo | undefined;
  if (r !== undefined) {
    const image = optString(r, 'image', file, 'run-image.image');
    const extend = optBool(r, 'extend', file, 'run-image.extend');
    const target = optTable(r, 'target', file, 'run-image.target');
    runImage = {
      reference: optString(r, 'reference', file, 'run-image.reference') ?? '',
      ...(image === undefined ? {} : { image }),
      ...(extend === undefined ? {} : { extend }),
      ...(target === undefined ? {} : { target: parseTarget(target, file) }),
    };
  }
  return {
    ...(previousImage === undefined ? {} : { previousImage }),
    ...(buildImage === undefined ? {} : { buildImage }),
    ...(runImage === undefined ? {} : { runImage }),
    ...(metadata === undefined ? {} : { metadata }),
  };
}

/**
 * Reads analyzed.toml. A missing file is `undefined` (the reference warns `No analyzed metadata
 * found at path` and continues with empty data); unreadable or invalid content is an error.
 */
export async function readAnalyzed(file: string): Promise<Analyzed | undefined> {
  // [metadata] mirrors the previous image's label (a config of up to 16 MiB), in TOML's longer form.
  const t = await readToml(file, { optional: true, what: 'analyzed metadata', maxBytes: 2 * MAX_TOML_BYTES });
  return t === undefined ? undefined : parseAnalyzed(t, file);
}

function targetToToml(t: TargetMetadata): TomlTable {
  return {
    id: t.id,
    os: t.os,
    arch: t.arch,
    'arch-variant': t.archVariant,
    distro: t.distro === undefined ? undefined : { name: t.distro.name, version: t.distro.version },
  };
}

/** The TOML document for analyzed.toml (`[image]` is always written, like the reference). */
export function analyzedToToml(a: Analyzed): TomlTable {
  const r = a.runImage;
  return {
    image: { reference: a.previousImage?.reference ?? '' },
    metadata: a.metadata,
    'run-image':
      r === undefined
        ? undefined
        : {
            reference: r.reference,
            image: r.image,
            extend: r.extend ? true : undefined,
            target: r.target === undefined ? undefined : targetToToml(r.target),
          },
    'build-image': a.buildImage === undefined ? undefined : { reference: a.buildImage.reference },
  };
}

/** Writes analyzed.toml atomically. */
export async function writeAnalyzed(file: string, a: Analyzed): Promise<void> {
  await writeToml(file, analyzedToToml(a));
}
