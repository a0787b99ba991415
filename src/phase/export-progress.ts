import type { remote } from '../image/index.ts';
import type { Logger } from '../platform/index.ts';

/**
 * What people see while the exporter makes layers (D-384). At info, lines whose first words no parser
 * of the reference's output looks for (it prints `Adding layer`, `Reusing layer`, `Saving`, `*** …`,
 * all unchanged):
 * - `Making layer '<id>'...` when a layer starts, or `Checking layer '<id>'...` when its tar is first
 *   compared with the previous image's layer (which is then reused, or the layer is made after all);
 * - `  layer '<id>': 96.0 MiB so far, 23.4 MiB/s` at most every `everyMs` (5 s) per layer still going,
 *   when stdout is not a terminal — so a CI log gets at most a line every few seconds per layer;
 * - `Made layer '<id>': 256.0 MiB, 165.8 MiB compressed, in 6.2 s` (or `Checked layer '<id>': unchanged,
 *   2.0 MiB in 0.1 s` when the previous image's layer is reused) when it ends.
 * And while they are uploaded (D-420), for layers named with {@link LayerProgress.name}:
 * - `Uploading layer '<id>' to <registry>/<repo>: 165.8 MiB...`, or `… as it is made...` for a streaming
 *   upload (D-382) whose size is not known yet;
 * - `  upload of layer '<id>': 96.0 MiB sent, 80.1 MiB/s` at most every `everyMs` per upload;
 * - `Uploaded layer '<id>' to <registry>/<repo>: 165.8 MiB in 2.1 s`, or `Layer '<id>' is already in
 *   <registry>/<repo>` / `Mounted layer '<id>' into <registry>/<repo>` when no bytes moved.
 * On a terminal the periodic lines are replaced by the logger's status line, redrawn at most every 200 ms
 * with every running layer's and upload's bytes and rate.
 */
export interface LayerProgress {
  /** A layer starts: made, or (`checking`) its tar compared with the previous image's first. */
  start(id: string, checking?: boolean): void;
  /** `tarBytes` of the layer's tar made so far. */
  bytes(id: string, tarBytes: number): void;
  /** The layer ended: its tar size, and its blob size unless it was reused. */
  done(id: string, r: { readonly tarBytes: number; readonly size?: number; readonly reused: boolean }): void;
  /** The layer failed (the error is reported by the caller). */
  fail(id: string): void;
  /** Names the blob `blob` (a digest, or the path of a blob being streamed) as layer `id`. */
  name(blob: string, id: string): void;
  /** Upload events (give it to the image store); blobs never named are not reported. */
  readonly uploads: remote.UploadObserver;
}

export interface ProgressOptions {
  /** Least time between two progress lines of one layer (non-terminal). */
  readonly everyMs?: number;
  /** Clock in ms (tests give their own). */
  readonly now?: () => number;
}

const MiB = 2 ** 20;
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** A layer being made or an upload under way. */
interface Running {
  readonly t0: number;
  last: number;
  bytes: number;
}

const perSecond = (r: Running, t: number) =>
  `${(t > r.t0 ? (r.bytes / MiB / (t - r.t0)) * 1000 : 0).toFixed(1)} MiB/s`;

/** The exporter's {@link LayerProgress} on `log` (nothing is printed below info). */
export function layerProgress(log: Logger, opts: ProgressOptions = {}): LayerProgress {
  const now = opts.now ?? (() => performance.now());
  const everyMs = opts.everyMs ?? 5000;
  const running = new Map<string, Running>();
  const uploading = new Map<string, Running & { id: string }>();
  const names = new Map<string, string>();
  let drawn = 0;
  const redraw = (force: boolean) => {
    if (!log.status) return;
    const t = now();
    if (!force && t - drawn < 200) return;
    drawn = t;
    const making = [...running].map(([id, r]) => `${id} ${mib(r.bytes)} ${perSecond(r, t)}`);
    const sending = [...uploading.values()].map((r) => `↑${r.id} ${mib(r.bytes)} ${perSecond(r, t)}`);
    log.status([...making, ...sending].join(' | '));
  };
  /** Advances `r` to `bytes`; the periodic line `line()` when due (non-terminal), else a redraw. */
  const tick = (r: Running, bytes: number, line: (t: number) => string) => {
    r.bytes = bytes;
    if (log.status) return redraw(false);
    const t = now();
    if (t - r.last < everyMs) return;
    r.last = t;
    log.info(line(t));
  };
  const fresh = (): Running => {
    const t = now();
    return { t0: t, last: t, bytes: 0 };
  };
  return {
    start(id, checking = false) {
      running.set(id, fresh());
      log.info(`${checking ? 'Checking' : 'Making'} layer '${id}'...`);
      redraw(true);
    },
    bytes(id, tarBytes) {
      const r = running.get(id);
      if (r === undefined) return;
      tick(r, tarBytes, (t) => `  layer '${id}': ${mib(tarBytes)} so far, ${perSecond(r, t)}`);
    },
    done(id, d) {
      const r = running.get(id);
      running.delete(id);
      const secs = `${((r ? now() - r.t0 : 0) / 1000).toFixed(1)} s`;
      redraw(true);
      if (d.reused) log.info(`Checked layer '${id}': unchanged, ${mib(d.tarBytes)} in ${secs}`);
      else log.info(`Made layer '${id}': ${mib(d.tarBytes)}, ${mib(d.size ?? 0)} compressed, in ${secs}`);
    },
    fail(id) {
      running.delete(id);
      redraw(true);
    },
    name(blob, id) {
      names.set(blob, id);
    },
    uploads: {
      start(where, blob, size) {
        const id = names.get(blob);
        if (id === undefined) return;
        uploading.set(`${where} ${blob}`, { ...fresh(), id });
        log.info(
          `Uploading layer '${id}' to ${where}${size === undefined ? ' as it is made' : `: ${mib(size)}`}...`,
        );
        redraw(true);
      },
      sent(where, blob, bytes) {
        const r = uploading.get(`${where} ${blob}`);
        if (r === undefined) return;
        tick(r, bytes, (t) => `  upload of layer '${r.id}': ${mib(bytes)} sent, ${perSecond(r, t)}`);
      },
      done(where, blob, outcome, size) {
        const id = names.get(blob);
        if (id === undefined) return;
        const key = `${where} ${blob}`;
        const r = uploading.get(key);
        uploading.delete(key);
        redraw(true);
        if (outcome === 'existing') log.info(`Layer '${id}' is already in ${where}`);
        else if (outcome === 'mounted') log.info(`Mounted layer '${id}' into ${where}`);
        else
          log.info(
            `Uploaded layer '${id}' to ${where}: ${mib(size)} in ${((r ? now() - r.t0 : 0) / 1000).toFixed(1)} s`,
          );
      },
    },
  };
}
