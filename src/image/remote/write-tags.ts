import { messageOf } from '../../platform/index.ts';
import { type Reference, toReference } from '../reference.ts';
import type { Image } from '../types.ts';
import { putManifest } from './manifest.ts';
import { type RemoteOptions, resolveOptions } from './options.ts';
import { checkWritable, manifestMediaType, pushBlobs, type WriteResult } from './write.ts';

/** One name's outcome of {@link writeTags}: its result, or why it failed. */
export type TagOutcome =
  | { readonly name: string; readonly ok: true; readonly result: WriteResult }
  | { readonly name: string; readonly ok: false; readonly cause: string; readonly error: unknown };

/**
 * Writes one image under several names (platform.md "exporter": the same app image to each `<image>`
 * tag) moving each blob once per repository (D-381): names are grouped by repository; each repository
 * gets its blobs once (HEAD, else a mount from a repository of the same registry written before, else
 * an upload), then one manifest PUT per name. A failure is reported for the names it concerns (every
 * name of a repository whose blobs failed, or the one name whose manifest failed); the others are written.
 * Outcomes are in the order of `names`.
 */
export async function writeTags(
  names: readonly string[],
  img: Image,
  options: RemoteOptions = {},
): Promise<TagOutcome[]> {
  const opts = resolveOptions(options);
  const outcomes = new Map<number, TagOutcome>();
  const fail = (i: number, e: unknown) =>
    outcomes.set(i, { name: names[i] as string, ok: false, cause: messageOf(e), error: e });
  const groups = new Map<string, { ref: Reference; index: number }[]>();
  names.forEach((name, index) => {
    try {
      const ref = toReference(name);
      checkWritable(ref, img);
      const key = `${ref.registry}/${ref.repository}`;
      groups.set(key, [...(groups.get(key) ?? []), { ref, index }]);
    } catch (e) {
      fail(index, e);
    }
  });
  // Per registry, the first repository that holds every blob: later repositories mount from it.
  const holder = new Map<string, string>();
  const mediaType = manifestMediaType(img);
  for (const members of groups.values()) {
    const first = (members[0] as { ref: Reference }).ref;
    let client: Awaited<ReturnType<typeof pushBlobs>>;
    try {
      client = await pushBlobs(first, img, opts, holder.get(first.registry));
    } catch (e) {
      for (const m of members) fail(m.index, e);
      continue;
    }
    if (!holder.has(first.registry)) holder.set(first.registry, first.repository);
    for (const { ref, index } of members) {
      try {
        const digest = await putManifest(client, ref.tag ?? ref.identifier, img.rawManifest, mediaType);
        outcomes.set(index, {
          name: names[index] as string,
          ok: true,
          result: { reference: ref, digest, size: img.rawManifest.byteLength, mediaType },
        });
      } catch (e) {
        fail(index, e);
      }
    }
  }
  return names.map((_, i) => outcomes.get(i) as TagOutcome);
}
