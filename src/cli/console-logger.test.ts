import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consoleLogger } from './console-logger.ts';

const streams = (isTTY: boolean) => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      out: { write: (c: string | Uint8Array) => out.push(String(c)), isTTY, columns: 30 },
      err: { write: (c: string | Uint8Array) => err.push(String(c)) },
    },
  };
};

// D-384: a status line only on a terminal, kept under the other lines.
describe('consoleLogger status line', () => {
  it('on a terminal: drawn, cleared before each line, drawn again after, cut to the width', () => {
    const s = streams(true);
    const log = consoleLogger('info', s.io);
    assert.ok(log.status);
    log.status('a 1.0 MiB 1.0 MiB/s');
    log.info('Adding layer x');
    log.status('a 2.0 MiB 1.0 MiB/s | b 0.5 MiB 0.5 MiB/s');
    log.status('');
    log.info('done');
    assert.deepEqual(s.out, [
      'a 1.0 MiB 1.0 MiB/s',
      '\r\x1b[K',
      'Adding layer x\n',
      'a 1.0 MiB 1.0 MiB/s',
      '\r\x1b[K',
      'a 2.0 MiB 1.0 MiB/s | b 0.5 …',
      '\r\x1b[K',
      'done\n',
    ]);
  });

  it('no status line when stdout is not a terminal, or below info', () => {
    assert.equal(consoleLogger('info', streams(false).io).status, undefined);
    assert.equal(consoleLogger('warn', streams(true).io).status, undefined);
  });
});
