import { spawn } from 'node:child_process';
import type { Logger } from '../platform/index.ts';
import type { RunCommand, RunExecutor } from './apply.ts';

/**
 * A RUN executor for the live root filesystem (the extender runs in the container of the image it
 * extends): spawns the command with exactly the given environment, working directory and user, its
 * output passed through as a buildpack's is.
 */
export function spawnRun(log: Logger): RunExecutor {
  return (cmd: RunCommand) =>
    new Promise<void>((resolve, reject) => {
      const [file, ...args] = cmd.argv;
      if (file === undefined) {
        reject(new Error('empty command'));
        return;
      }
      const asUser = process.getuid?.() === 0 && (cmd.user.uid !== 0 || cmd.user.gid !== 0);
      const child = spawn(file, args, {
        env: { ...cmd.env },
        cwd: cmd.cwd,
        // Standard input is empty, as in `docker build` (a heredoc script comes another way, D-422).
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(asUser ? { uid: cmd.user.uid, gid: cmd.user.gid } : {}),
      });
      child.stdout?.on('data', (c: Buffer) => log.stdout(c));
      child.stderr?.on('data', (c: Buffer) => log.stderr(c));
      child.on('error', (e) => reject(new Error(`cannot run ${file}: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`'${cmd.text}' ${signal ? `was killed by ${signal}` : `exited with ${code}`}`));
      });
    });
}
