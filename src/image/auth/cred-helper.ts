import { spawn } from 'node:child_process';
import { LifecycleError, parseBoundedJson } from '../../platform/index.ts';
import { ANONYMOUS, type Credential } from './credential.ts';

/** Upper bound for a credential helper run. */
const HELPER_TIMEOUT_MS = 30_000;
/** Upper bound for a helper's output. */
const MAX_OUTPUT = 1 << 20;

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin (the docker credential helper
 * protocol) and maps its answer: `{"Username","Secret"}` → Basic, Username `<token>` → identity token,
 * "credentials not found" → anonymous.
 *
 * @param env the environment handed to the helper (its PATH is where the helper is looked up).
 * @param source where the helper was configured (for messages), e.g. `credsStore in /root/.docker/config.json`.
 */
export function runCredentialHelper(
  helper: string,
  serverURL: string,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
): Promise<Credential> {
  const program = `docker-credential-${helper}`;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) =>
      reject(
        new LifecycleError(
          'ERR_REGISTRY_CRED_HELPER',
          'failed',
          `docker credential helper ${program} (${source}) failed for ${serverURL}: ${why}; ` +
            `install ${program} on PATH or fix/remove that entry in the docker config.json`,
          cause === undefined ? undefined : { cause },
        ),
      );
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, ['get'], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      fail('could not start it', e);
      return;
    }
    const out: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    child.stdout?.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_OUTPUT) out.push(c);
    });
    child.stderr?.resume();
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(e.code === 'ENOENT' ? 'it was not found on PATH' : `could not run it (${e.code ?? e.message})`, e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8').trim();
      if (code !== 0) {
        if (/credentials not found/i.test(text)) resolve(ANONYMOUS);
        else fail(signal === null ? `it exited with status ${code}` : `it was killed (${signal})`);
        return;
      }
      let parsed: { Username?: unknown; Secret?: unknown };
      try {
        parsed = parseBoundedJson(text, program) as typeof parsed;
      } catch {
        fail('its output is not JSON');
        return;
      }
      const username = typeof parsed.Username === 'string' ? parsed.Username : '';
      const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
      if (secret === '') resolve(ANONYMOUS);
      else if (username === '<token>') resolve({ kind: 'identity-token', token: secret });
      else resolve({ kind: 'basic', username, password: secret });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(serverURL);
  });
}
