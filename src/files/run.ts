import {
  fieldError,
  optString,
  optStringArray,
  optTable,
  optTableArray,
  readToml,
  type TomlTable,
  writeToml,
} from './toml.ts';

/** One `[[images]]` entry of run.toml (platform.md "run.toml"). */
export interface RunImageEntry {
  /** Tag reference to a run image; may be absent. */
  readonly image?: string;
  readonly mirrors: readonly string[];
}

/** run.toml: the run images a build may use, each with its mirrors. */
export interface RunFile {
  readonly images: readonly RunImageEntry[];
}

/** Parses run.toml content; `mirrors` without `image` is rejected (platform.md "run.toml"). */
export function parseRun(t: TomlTable, file: string): RunFile {
  return {
    images: optTableArray(t, 'images', file).map((x, i) => {
      const image = optString(x, 'image', file, `images[${i}].image`);
      const mirrors = optStringArray(x, 'mirrors', file, `images[${i}].mirrors`) ?? [];
      if ((image === undefined || image === '') && mirrors.length > 0)
        throw fieldError(file, `images[${i}].mirrors`, 'must not be present when image is not set');
      return { ...(image === undefined ? {} : { image }), mirrors };
    }),
  };
}

/** Reads run.toml; a missing file is `undefined` (the reference logs it and uses empty data). */
export async function readRun(file: string): Promise<RunFile | undefined> {
  const t = await readToml(file, { optional: true, what: 'run metadata' });
  return t === undefined ? undefined : parseRun(t, file);
}

/** Writes run.toml atomically. */
export async function writeRun(file: string, r: RunFile): Promise<void> {
  await writeToml(file, { images: r.images.map((x) => ({ image: x.image, mirrors: [...x.mirrors] })) });
}

/**
 * Parses stack.toml content (platform-0.11.md "stack.toml": `[run-image] image, mirrors`) as a run file
 * of one entry, so run image selection is the same for both files; no `[run-image]` table is an entry
 * without an image (the reference's "missing run image metadata").
 */
export function parseStack(t: TomlTable, file: string): RunFile {
  const r = optTable(t, 'run-image', file);
  const image = r === undefined ? undefined : optString(r, 'image', file, 'run-image.image');
  const mirrors = r === undefined ? [] : (optStringArray(r, 'mirrors', file, 'run-image.mirrors') ?? []);
  return { images: [{ ...(image === undefined || image === '' ? {} : { image }), mirrors }] };
}

/** Reads stack.toml (Platform API before 0.12); a missing file is `undefined`. */
export async function readStack(file: string): Promise<RunFile | undefined> {
  const t = await readToml(file, { optional: true, what: 'stack metadata' });
  return t === undefined ? undefined : parseStack(t, file);
}
