import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { extractLayer } from './extract.ts';

describe('extractLayer input detection (compression: auto)', () => {
  it('rejects, instead of hanging, when the source failed before its first chunk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'extract-input-'));
    try {
      const src = new PassThrough();
      src.on('error', () => {}); // the failure happened before anyone listened
      src.destroy(new Error('blob read failed'));
      await new Promise((r) => setImmediate(r));
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('extractLayer hung on an errored stream')), 5000).unref(),
      );
      await assert.rejects(Promise.race([extractLayer(src, dir), timeout]), /blob read failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects, instead of hanging, when the source is destroyed while it is awaited', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'extract-input-'));
    try {
      const src = new PassThrough();
      setTimeout(() => src.destroy(), 20);
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('extractLayer hung on a destroyed stream')), 5000).unref(),
      );
      await assert.rejects(
        Promise.race([extractLayer(src, dir), timeout]),
        /premature close|Premature close/i,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats an empty source as an empty (invalid) layer, not a hang', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'extract-input-'));
    try {
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('extractLayer hung on an empty stream')), 5000).unref(),
      );
      await Promise.race([
        extractLayer(Readable.from([]), dir).then(
          () => undefined,
          () => undefined,
        ),
        timeout,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
