import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger } from '../platform/index.ts';
import { layerProgress } from './export-progress.ts';

const MiB = 2 ** 20;

// D-384: the progress lines' format and pacing, on a clock the test moves (no timing assertions).
describe('layerProgress', () => {
  it('prints a start line, at most one line per interval per layer, and an end line with sizes', () => {
    const log = memoryLogger('info');
    let t = 0;
    const p = layerProgress(log, { everyMs: 5000, now: () => t });
    p.start('bp:big');
    for (let s = 1; s <= 12; s++) {
      t = s * 1000;
      p.bytes('bp:big', s * 10 * MiB);
    }
    t = 12_500;
    p.done('bp:big', { tarBytes: 125 * MiB, size: 80 * MiB, reused: false });
    assert.deepEqual(log.lines, [
      "info: Making layer 'bp:big'...",
      "info:   layer 'bp:big': 50.0 MiB so far, 10.0 MiB/s",
      "info:   layer 'bp:big': 100.0 MiB so far, 10.0 MiB/s",
      "info: Made layer 'bp:big': 125.0 MiB, 80.0 MiB compressed, in 12.5 s",
    ]);
  });

  it('says when the previous layer is reused, and prints nothing for a failed layer', () => {
    const log = memoryLogger('info');
    let t = 0;
    const p = layerProgress(log, { now: () => t });
    p.start('bp:same', true);
    p.start('bp:broken');
    t = 300;
    p.done('bp:same', { tarBytes: 2 * MiB, reused: true });
    p.fail('bp:broken');
    p.bytes('bp:broken', MiB);
    assert.deepEqual(log.lines, [
      "info: Checking layer 'bp:same'...",
      "info: Making layer 'bp:broken'...",
      "info: Checked layer 'bp:same': unchanged, 2.0 MiB in 0.3 s",
    ]);
  });

  it('is silent below info', () => {
    const log = memoryLogger('warn');
    const p = layerProgress(log, { everyMs: 0 });
    p.start('bp:l');
    p.bytes('bp:l', MiB);
    p.done('bp:l', { tarBytes: MiB, size: MiB, reused: false });
    assert.deepEqual(log.lines, []);
  });

  it('on a terminal, keeps every running layer in the status line instead of periodic lines', () => {
    const log = memoryLogger('info');
    const status: string[] = [];
    let t = 0;
    const p = layerProgress({ ...log, status: (s) => status.push(s) }, { everyMs: 0, now: () => t });
    p.start('a');
    p.start('b');
    t = 1000;
    p.bytes('a', 4 * MiB);
    t = 1100;
    p.bytes('b', MiB); // within 200 ms of the last draw: not drawn
    t = 2000;
    p.bytes('b', 2 * MiB);
    p.done('a', { tarBytes: 4 * MiB, size: MiB, reused: false });
    assert.deepEqual(status, [
      'a 0.0 MiB 0.0 MiB/s',
      'a 0.0 MiB 0.0 MiB/s | b 0.0 MiB 0.0 MiB/s',
      'a 4.0 MiB 4.0 MiB/s | b 0.0 MiB 0.0 MiB/s',
      'a 4.0 MiB 2.0 MiB/s | b 2.0 MiB 1.0 MiB/s',
      'b 2.0 MiB 1.0 MiB/s',
    ]);
    assert.equal(log.lines.filter((l) => l.includes('so far')).length, 0);
    assert.ok(log.lines.includes("info: Made layer 'a': 4.0 MiB, 1.0 MiB compressed, in 2.0 s"));
  });

  // D-420: upload lines for the layers the exporter named, by digest or by the path of a streamed blob.
  it('reports uploads of named blobs: start, at most one line per interval, end; nothing for others', () => {
    const log = memoryLogger('info');
    let t = 0;
    const p = layerProgress(log, { everyMs: 5000, now: () => t });
    const up = p.uploads;
    const repo = '127.0.0.1:5000/app';
    p.name('/tmp/x/big.tgz', 'bp:big');
    p.name('sha256:small', 'bp:small');
    p.name('sha256:there', 'bp:there');
    up.start(repo, '/tmp/x/big.tgz', undefined);
    up.start(repo, 'sha256:small', 2 * MiB);
    up.start(repo, 'sha256:config', 1000);
    for (let s = 1; s <= 6; s++) {
      t = s * 1000;
      up.sent(repo, '/tmp/x/big.tgz', s * 20 * MiB);
    }
    up.done(repo, 'sha256:small', 'uploaded', 2 * MiB);
    up.done(repo, 'sha256:config', 'uploaded', 1000);
    up.done(repo, 'sha256:there', 'existing', MiB);
    up.done(`${repo}-cache`, 'sha256:small', 'mounted', 2 * MiB);
    t = 6500;
    up.done(repo, '/tmp/x/big.tgz', 'uploaded', 130 * MiB);
    assert.deepEqual(log.lines, [
      `info: Uploading layer 'bp:big' to ${repo} as it is made...`,
      `info: Uploading layer 'bp:small' to ${repo}: 2.0 MiB...`,
      "info:   upload of layer 'bp:big': 100.0 MiB sent, 20.0 MiB/s",
      `info: Uploaded layer 'bp:small' to ${repo}: 2.0 MiB in 6.0 s`,
      `info: Layer 'bp:there' is already in ${repo}`,
      `info: Mounted layer 'bp:small' into ${repo}-cache`,
      `info: Uploaded layer 'bp:big' to ${repo}: 130.0 MiB in 6.5 s`,
    ]);
  });

  it('on a terminal, shows uploads in the status line beside the layers being made', () => {
    const log = memoryLogger('info');
    const status: string[] = [];
    let t = 0;
    const p = layerProgress({ ...log, status: (s) => status.push(s) }, { now: () => t });
    p.name('sha256:a', 'a');
    p.start('b');
    p.uploads.start('r/app', 'sha256:a', 8 * MiB);
    t = 1000;
    p.uploads.sent('r/app', 'sha256:a', 4 * MiB);
    p.uploads.done('r/app', 'sha256:a', 'uploaded', 8 * MiB);
    assert.deepEqual(status, [
      'b 0.0 MiB 0.0 MiB/s',
      'b 0.0 MiB 0.0 MiB/s | ↑a 0.0 MiB 0.0 MiB/s',
      'b 0.0 MiB 0.0 MiB/s | ↑a 4.0 MiB 4.0 MiB/s',
      'b 0.0 MiB 0.0 MiB/s',
    ]);
    assert.equal(log.lines.filter((l) => l.includes(' sent, ')).length, 0);
  });
});
