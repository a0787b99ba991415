import {
  fieldError,
  optString,
  optStringArray,
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
