import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import type { Layer, remote } from '../image/index.ts';
import {
  type LayerEntry,
  type LayerSource,
  layerFromDir,
  parentsFromDisk,
  writeLayer,
} from '../layer/index.ts';
import { LifecycleError, messageOf } from '../platform/index.ts';
import type { LayerProgress } from './export-progress.ts';

/**
 * Making the exporter's layers (docs/reference-behaviour.md §6 "Layer tar contents", "Buildpack layer reuse
 * rules"; DESIGN.md "Performance design"). Every layer is a deterministic tar streamed once through
 * sha256 → gzip → sha256 into a temp blob. When the previous image holds a candidate for the layer, the
 * diffID is computed first from a tar-only pass (no compression, nothing written): if it matches, the
 * previous image's layer is used as it is, so nothing is compressed, downloaded or uploaded.
 */

/** Where a layer's bytes come from: a factory, as an entry iterable can only be read once. */
export type SourceFactory = () => LayerSource | Promise<LayerSource>;

/** One layer to make. */
export interface LayerSpec {
  /** Id used in logs and temp file names (`<bp>:<layer>`, `buildpacksio/lifecycle:launcher`, …). */
  readonly id: string;
  readonly source: SourceFactory;
  /** diffID this layer had in the previous image (from its lifecycle metadata), if any. */
  readonly previousSha?: string | readonly string[];
  /** Also write the uncompressed tar here in the same pass (the cache's copy). */
  readonly tarSink?: string;
}

/** A made layer. */
export interface MadeLayer {
  readonly layer: Layer;
  readonly diffID: string;
  /** True when the previous image's layer is used (no bytes were compressed or will be uploaded). */
  readonly reused: boolean;
}

/** Options of {@link layerMaker}. */
export interface LayerMakerOptions {
  /** Temp directory for layer blobs (removed by the caller). */
  readonly tmpDir: string;
  /** The previous image's layers by diffID (reuse candidates). */
  readonly previous: ReadonlyMap<string, Layer>;
  /** Compress with the pigz-style block compressor on this many threads (deterministic bytes). */
  readonly threads?: number;
  readonly signal?: AbortSignal;
  /**
   * The image's repository: each new layer is uploaded while it is compressed (D-382) or as soon as it
   * is made (D-383), so the image write finds it there.
   */
  readonly early?: remote.EarlyUploads;
  /** Told when each layer starts, how far it got, and when it ends (D-384). */
  readonly progress?: LayerProgress;
}

/** Makes layers with reuse; identical ids share one result (docs/reference-behaviour.md §6). */
export interface LayerMaker {
  make(spec: LayerSpec): Promise<MadeLayer>;
  /**
   * The layer made, being made, or announced by {@link expect} under `id`, if any: lets the cache share
   * the image's layers (rejects when an announced layer will not be made).
   */
  peek(id: string): Promise<MadeLayer> | undefined;
  /** The image announces the layers it will make (D-386), so a cache export running beside it waits for them. */
  expect(ids: readonly string[]): void;
  /** No more layers will be announced or made by the image (it is done, or failed). */
  abandon(): void;
  /** Settles once the image has announced its layers (or abandoned). */
  planned(): Promise<void>;
}

const discard = (): Writable =>
  new Writable({
    highWaterMark: 4 << 20,
    write(_c, _e, cb) {
      cb();
    },
  });

function fileName(id: string, n: number): string {
  return `${n}-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.tgz`;
}

/** A {@link LayerMaker} writing blobs under `opts.tmpDir`. */
export function layerMaker(opts: LayerMakerOptions): LayerMaker {
  const inflight = new Map<string, Promise<MadeLayer>>();
  let n = 0;
  const wopts = {
    gzipLevel: 1,
    parallel: opts.threads === undefined ? {} : { threads: opts.threads },
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  /** Compresses a layer into a new temp blob, sending it to the image's repository early when asked. */
  const compress = async (spec: LayerSpec, tarSink: boolean): Promise<MadeLayer> => {
    const path = `${opts.tmpDir}/${fileName(spec.id, n++)}`;
    opts.progress?.name(path, spec.id);
    const follow = opts.early?.follow(path);
    let layer: Layer;
    let tarBytes = 0;
    try {
      layer = await layerFromDir(await spec.source(), path, {
        ...wopts,
        ...(tarSink && spec.tarSink ? { tarSink: spec.tarSink } : {}),
        ...(follow ? { onFlushed: (b: number) => follow.grow(b) } : {}),
        onProgress: (b: number) => {
          tarBytes = b;
          opts.progress?.bytes(spec.id, b);
        },
      });
    } catch (e) {
      follow?.abort();
      throw e;
    }
    opts.progress?.name(layer.digest, spec.id);
    if (follow && !follow.finish(layer.digest, layer.size))
      // Our own temp blob, just hashed while written: read as it is (the registry checks the digest).
      opts.early?.push({
        digest: layer.digest,
        size: layer.size,
        open: async () => createReadStream(path, { highWaterMark: 1 << 20 }),
      });
    opts.progress?.done(spec.id, { tarBytes, size: layer.size, reused: false });
    return { layer, diffID: layer.diffID, reused: false };
  };
  const make = async (spec: LayerSpec): Promise<MadeLayer> => {
    const shas = spec.previousSha === undefined ? [] : [spec.previousSha].flat();
    const candidates = shas.filter((s) => opts.previous.has(s));
    opts.progress?.start(spec.id, candidates.length > 0);
    let tarBytes = 0;
    try {
      if (candidates.length > 0) {
        const d = await writeLayer(await spec.source(), discard(), {
          compression: 'none',
          ...(spec.tarSink ? { tarSink: spec.tarSink } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          onProgress: (b: number) => {
            tarBytes = b;
            opts.progress?.bytes(spec.id, b);
          },
        });
        const prev = candidates.includes(d.diffID) ? opts.previous.get(d.diffID) : undefined;
        if (prev) {
          opts.progress?.done(spec.id, { tarBytes, reused: true });
          return { layer: prev, diffID: d.diffID, reused: true };
        }
        return await compress(spec, false);
      }
      return await compress(spec, true);
    } catch (e) {
      opts.progress?.fail(spec.id);
      throw new LifecycleError(
        'ERR_EXPORT_LAYER',
        'export',
        `failed to create layer '${spec.id}': ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  };
  const announced = new Map<
    string,
    { promise: Promise<MadeLayer>; settle: (p: Promise<MadeLayer>) => void }
  >();
  let announce: () => void = () => {};
  const planned = new Promise<void>((r) => {
    announce = r;
  });
  return {
    peek: (id) => inflight.get(id) ?? announced.get(id)?.promise,
    make(spec) {
      let p = inflight.get(spec.id);
      if (p === undefined) {
        p = make(spec);
        inflight.set(spec.id, p);
        announced.get(spec.id)?.settle(p);
      }
      return p;
    },
    expect(ids) {
      for (const id of ids) {
        if (inflight.has(id) || announced.has(id)) continue;
        let settle: (p: Promise<MadeLayer>) => void = () => {};
        const promise = new Promise<MadeLayer>((resolve) => {
          settle = resolve;
        });
        promise.catch(() => {});
        announced.set(id, { promise, settle });
      }
      announce();
    },
    abandon() {
      for (const [id, a] of announced)
        if (!inflight.has(id)) a.settle(Promise.reject(new Error(`layer '${id}' was not made`)));
      announce();
    },
    planned: () => planned,
  };
}

/**
 * A directory layer as the reference writes it: the parent directories of `dir` with their real owner and
 * mode, then `dir` and everything below it owned by `uid:gid`, all named by absolute path.
 */
export function dirLayerSource(dir: string, uid: number, gid: number): SourceFactory {
  return async () => ({ dir, prefix: dir, uid, gid, parents: await parentsFromDisk(dir) });
}

const rootDir = (name: string): LayerEntry => ({ name, type: 'dir', mode: 0o755, uid: 0, gid: 0 });

/** `/cnb/lifecycle/launcher` (0755, root) with its parents (docs/reference-behaviour.md §6 "Launcher layer"). */
export function launcherLayerSource(launcher: string, size: number): SourceFactory {
  return () => [
    rootDir('/cnb'),
    rootDir('/cnb/lifecycle'),
    {
      name: '/cnb/lifecycle/launcher',
      type: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size,
      content: { path: launcher },
    },
  ];
}

/** `/cnb/process/<type>` → `/cnb/lifecycle/launcher` symlinks, types in the given order. */
export function processTypesLayerSource(types: readonly string[]): SourceFactory {
  return () => [
    rootDir('/cnb'),
    rootDir('/cnb/process'),
    ...types.map(
      (t): LayerEntry => ({
        name: `/cnb/process/${t}`,
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        linkname: '/cnb/lifecycle/launcher',
      }),
    ),
  ];
}
