import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** dist/lifecycle, built by `npm run build` (which `npm test` runs first). */
export const LIFECYCLE_DIR = join(import.meta.dirname, '..', '..', 'dist', 'lifecycle');

export interface PhaseRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a built phase binary exactly as a platform would: `dist/lifecycle/<phase> args…` with the given
 * environment (only PATH and HOME are inherited unless `inherit` is set).
 */
export function runPhase(
  phase: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { inherit?: boolean; cwd?: string; timeoutMs?: number } = {},
): Promise<PhaseRun> {
  const bin = join(LIFECYCLE_DIR, phase);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'npm run build' first`);
  const base: Record<string, string | undefined> = opts.inherit
    ? { ...process.env }
    : { PATH: process.env['PATH'], HOME: process.env['HOME'] };
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...base, ...env } as NodeJS.ProcessEnv,
      cwd: opts.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
