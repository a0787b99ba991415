import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever `fn` did. */
export async function withTempDir(fn: (dir: string) => Promise<void>, prefix = 'files-'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `v` as plain JSON data (class instances and prototypes gone), for deepEqual against literals. */
export const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
