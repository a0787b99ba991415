import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goDuration, memoryLogger, timed } from './log.ts';

// D-385: phase durations as the reference prints them (Go's time.Duration.String()).
describe('goDuration and timed', () => {
  it('formats like Go: ns, µs, ms, s, m and h units, no trailing zeros', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(0.0005), '500ns');
    assert.equal(goDuration(0.25), '250µs');
    assert.equal(goDuration(512.25), '512.25ms');
    assert.equal(goDuration(5212.5), '5.2125s');
    assert.equal(goDuration(1000), '1s');
    assert.equal(goDuration(62_500), '1m2.5s');
    assert.equal(goDuration(3_600_000), '1h0m0s');
  });

  it('logs the start at debug and the end at info, also when the phase fails', async () => {
    const info = memoryLogger('info');
    assert.equal(await timed(info, 'Exporter', async () => 7), 7);
    assert.equal(info.lines.length, 1);
    assert.match(
      info.lines[0] ?? '',
      /^info: Timer: Exporter ran for [0-9.]+(ns|µs|ms|s) and ended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const debug = memoryLogger('debug');
    await assert.rejects(
      timed(debug, 'Builder', async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.match(debug.lines[0] ?? '', /^debug: Timer: Builder started at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(debug.lines[1] ?? '', /^info: Timer: Builder ran for /);
    const warn = memoryLogger('warn');
    await timed(warn, 'Analyzer', async () => {});
    assert.deepEqual(warn.lines, []);
  });
});
